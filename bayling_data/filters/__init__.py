"""Filters: language ID, dedup and quality checks, each a small step over a stream of records."""

from bayling_data.filters.base import Filter, FilterChain
from bayling_data.filters.build import FilterConfig, FilterFlags, build_chain

__all__ = ["Filter", "FilterChain", "FilterConfig", "FilterFlags", "build_chain"]
