"""Test tools a user may run too: a deterministic OpenAI-compatible mock teacher (`bayling-data teacher mock`)."""
