"""Readers for seed texts and existing corpora (txt, jsonl, jsonl.gz, parquet, saved HF datasets)."""
