"""bayling-data: synthetic multilingual instruction data (interactive translation, cross-lingual, pivot)."""

__version__ = "0.1.0"
