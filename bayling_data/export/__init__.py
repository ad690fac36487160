"""Output: parquet shards in the Hub's layout, dataset card, run summary."""
