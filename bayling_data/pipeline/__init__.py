"""Wires source -> generator -> filters -> writer: `generate` (slot by slot, exactly --n kept), `filter`
(existing corpora through the same chain) and what both do when they finish."""

from bayling_data.pipeline.filter import FilterOptions, iter_input_records, run_filter
from bayling_data.pipeline.generate import GenerateOptions, RunIncomplete, run_generate

__all__ = ["FilterOptions", "GenerateOptions", "RunIncomplete", "iter_input_records", "run_filter", "run_generate"]
