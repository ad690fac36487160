"""Teacher servers bayling-data starts and stops itself, behind one protocol (`ManagedServer`): today our
batching llama.cpp server (`local_server` runs `server`, which decodes with `engine`)."""
