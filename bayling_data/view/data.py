"""Queries over an output folder's shards (kept, validation and rejected), through DuckDB.

DuckDB reads the parquet (or jsonl) shards in place, by row group and only the columns a query needs, so
a folder of millions of records is never loaded into memory. Facets (language, direction, generator,
task, turn type, instruction language, reject reason, split) are columns of a small index that is built
on first use in the background and kept beside the data (`.bayling/view-index.parquet`, rebuilt when a
shard changes); until it is ready, facet counts wait and pages read the shards directly.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from bayling_data.export.sinks import sink_of, sql_text

PAGE_SIZE = 50
FACETS = {  # facet name -> SQL over the index
    "split": "split",
    "language": "tgt_lang",
    "direction": "direction",
    "generator": "generator",
    "task": "task",
    "turn_type": "turn_type",
    "instruction_lang": "instruction_lang",
    "reject_reason": "reject_reason",
    "reject_step": "reject_step",
    "semantic": "semantic_band",
}
SORTS = {"": "ordinal", "semantic": "semantic_score ASC NULLS LAST, ordinal"}  # sort key -> ORDER BY
LIST_COLUMNS = "split, filename, file_row_number, id, task, src_lang, tgt_lang, messages, reject_reason"


class NotAnOutputFolder(ValueError):
    """The folder holds no finished bayling-data output."""


MAX_PAGE = 10**9  # past any real dataset; a larger page number would overflow the query's OFFSET


@dataclass
class Query:
    """What the browse page asks for: text to find, facet values to match, and the page."""

    text: str = ""
    facets: dict[str, str] = field(default_factory=dict)
    page: int = 0
    sort: str = ""  # "" (shard order) or "semantic" (lowest semantic score first)

    @classmethod
    def from_params(cls, params: Any) -> Query:
        """From the URL's query parameters (unknown ones ignored)."""
        facets = {name: params[name] for name in FACETS if params.get(name)}
        try:
            page = min(max(0, int(params.get("page", 0))), MAX_PAGE)
        except ValueError:
            page = 0
        sort = str(params.get("sort", ""))
        return cls(str(params.get("q", "")).strip(), facets, page, sort if sort in SORTS else "")


class Dataset:
    """One output folder, opened read-only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        summary_path = folder / "run_summary.json"
        if not summary_path.is_file():
            raise NotAnOutputFolder(
                f"{folder}: no run_summary.json; `view` opens the folder of a finished generate, filter or merge"
            )
        self.summary: dict[str, Any] = json.loads(summary_path.read_text("utf-8"))
        self.shards = {
            split: [folder / name for name in names if (folder / name).is_file()]
            for split, names in (self.summary.get("shards") or {}).items()
        }
        if not any(self.shards.values()):
            raise NotAnOutputFolder(f"{folder}: the run summary lists no shard that exists")
        self.db = duckdb.connect()  # in memory; the data stays in the shards
        self.db.execute(f"CREATE VIEW records AS {self._records_sql()}")
        self.index_ready = threading.Event()
        self._indexing: duckdb.DuckDBPyConnection | None = None  # the index's cursor while it is built
        self.index_error: str | None = None

    def _records_sql(self) -> str:
        return " UNION ALL BY NAME ".join(self._source(split, paths) for split, paths in self.shards.items() if paths)

    @staticmethod
    def _source(split: str, paths: list[Path]) -> str:
        """SQL reading the shards `paths` of one split, with each row's file and row number."""
        source = sink_of(paths[0]).sql_source(paths)
        reason = "reject_reason" if split == "rejected" else "NULL::VARCHAR"
        return (
            f"SELECT {sql_text(split)} AS split, filename, file_row_number, id, task, generator, src_lang, tgt_lang,"
            f" messages, CAST(meta AS VARCHAR) AS meta, CAST(scores AS VARCHAR) AS scores, {reason} AS reject_reason"
            f" FROM {source}"
        )

    def _split_of(self, filename: str) -> tuple[str, Path] | None:
        for split, paths in self.shards.items():
            for path in paths:
                if str(path) == filename:
                    return split, path
        return None

    def fetch(self, addresses: list[tuple[str, int]], columns: str = LIST_COLUMNS) -> list[dict[str, Any]]:
        """Records by (shard, row), in the order asked, reading only their shards."""
        by_file: dict[str, list[int]] = {}
        for filename, row in addresses:
            by_file.setdefault(filename, []).append(row)
        found: dict[tuple[str, int], dict[str, Any]] = {}
        for filename, rows in by_file.items():
            split_path = self._split_of(filename)
            if split_path is None:
                continue
            sql = (
                f"SELECT {columns} FROM ({self._source(split_path[0], [split_path[1]])})"
                f" WHERE file_row_number IN ({', '.join(str(int(r)) for r in rows)})"
            )
            for item in self.rows(sql):
                found[(item["filename"], item["file_row_number"])] = item
        return [found[a] for a in addresses if a in found]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of one query, on a cursor of its own: a page is answered while the index is being built."""
        with self.db.cursor() as cursor:
            return cursor.execute(sql, params or []).fetchall()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """`query` with each row as a dict of its columns."""
        with self.db.cursor() as cursor:
            result = cursor.execute(sql, params or [])
            names = [d[0] for d in result.description]
            return [dict(zip(names, values, strict=True)) for values in result.fetchall()]

    # -- the index of facets ------------------------------------------------------------------------

    def index_path(self) -> Path:
        """Where the facet index is kept."""
        return self.folder / ".bayling" / "view-index.parquet"

    def build_index(self) -> None:
        """Build (or reuse) the facet index; run in a background thread (`stop_index` interrupts it). Kept
        beside the data for the next time; in memory only when the folder is read-only."""
        try:
            with self.db.cursor() as cursor:
                self._indexing = cursor
                path = self.index_path()
                newest = max(p.stat().st_mtime for paths in self.shards.values() for p in paths)
                if path.is_file() and path.stat().st_mtime >= newest:
                    cursor.execute(
                        f"CREATE OR REPLACE TABLE facets AS SELECT * FROM read_parquet({sql_text(str(path))})"
                    )
                    return
                cursor.execute(f"CREATE OR REPLACE TABLE facets AS {_INDEX_SQL}")
                with contextlib.suppress(OSError, duckdb.Error):  # a read-only folder: no index kept for next time
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp")
                    cursor.execute(f"COPY facets TO {sql_text(str(tmp))} (FORMAT parquet)")
                    tmp.replace(path)
        except (duckdb.Error, OSError) as error:  # the page says so; browsing without facets still works
            self.index_error = f"{type(error).__name__}: {error}"
        finally:
            self._indexing = None
            self.index_ready.set()

    def stop_index(self) -> None:
        """Interrupt the index being built (on the way out: a query left running in a thread would abort)."""
        if (cursor := self._indexing) is not None:
            cursor.interrupt()

    # -- queries ------------------------------------------------------------------------------------

    def _where(self, query: Query) -> tuple[str, list[Any]]:
        """SQL over the facet index for the query's facets, and its parameters."""
        clauses, params = [], []
        for name, value in query.facets.items():
            clauses.append("list_contains(turn_types, ?)" if name == "turn_type" else f"{FACETS[name]} = ?")
            params.append(value)
        return " AND ".join(clauses), params

    def browse(self, query: Query) -> tuple[list[dict[str, Any]], bool]:
        """One page of records matching the query (in shard order), and whether there are more."""
        limit = f"LIMIT {PAGE_SIZE + 1} OFFSET {query.page * PAGE_SIZE}"
        where, params = self._where(query)
        if query.facets or query.sort:
            self.index_ready.wait()
            if self.index_error:
                raise RuntimeError(f"the facet index could not be built ({self.index_error})")
        if (query.facets or query.sort) and not query.text:  # the index finds them; only their shards are read
            condition = f"WHERE {where}" if where else ""
            addresses = self.query(
                f"SELECT filename, file_row_number FROM facets {condition} ORDER BY {SORTS[query.sort]} {limit}",
                params,
            )
            rows = self.fetch([(f, int(r)) for f, r in addresses])
        else:
            conditions = []
            if query.text:  # a case-insensitive literal in any message (RE2 with `i` is twice as fast as lower())
                conditions.append("list_bool_or(list_transform(messages, lambda m: regexp_matches(m.content, ?, 'i')))")
                params = [_literal(query.text), *params]
            if where:
                conditions.append(
                    f"(filename, file_row_number) IN (SELECT filename, file_row_number FROM facets WHERE {where})"
                )
            condition = f"WHERE {' AND '.join(conditions)}" if conditions else ""
            order = f"ORDER BY {SEMANTIC_SCORE} ASC NULLS LAST" if query.sort == "semantic" else ""
            rows = self.rows(f"SELECT {LIST_COLUMNS} FROM records {condition} {order} {limit}", params)
        return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE

    def facet_counts(self, query: Query) -> dict[str, list[tuple[str, int]]] | None:
        """Counts per facet value among records matching the query's facets (None until the index is ready)."""
        if not self.index_ready.is_set() or self.index_error:
            return None
        where, params = self._where(query)
        condition = f"WHERE {where}" if where else ""
        counts: dict[str, list[tuple[str, int]]] = {}
        for name, column in FACETS.items():
            if name == "turn_type":
                sql = (
                    f"SELECT t, count(*) FROM (SELECT unnest(turn_types) AS t FROM facets {condition})"
                    " GROUP BY t ORDER BY 2 DESC LIMIT 30"
                )
            else:
                sql = (
                    f"SELECT {column}, count(*) FROM facets {condition} GROUP BY 1 HAVING {column} IS NOT NULL"
                    " ORDER BY 2 DESC LIMIT 30"
                )
            counts[name] = [(str(value), int(count)) for value, count in self.query(sql, params)]
        return counts

    def record(self, filename: str, row: int) -> dict[str, Any] | None:
        """One record by its shard and row, with the neighbours' addresses for next/previous."""
        found = self.fetch([(filename, row)], "*")
        if not found:
            return None
        record = found[0]
        record["meta"] = json.loads(record["meta"] or "{}")
        record["scores"] = json.loads(record["scores"] or "{}")
        record["neighbours"] = self._neighbours(filename, row)
        return record

    def _neighbours(self, filename: str, row: int) -> dict[str, tuple[str, int] | None]:
        """The addresses of the records before and after one, across shards and splits."""
        files = [str(p) for paths in self.shards.values() for p in paths]
        position = files.index(filename)
        previous = (filename, row - 1) if row > 0 else None
        if previous is None and position > 0:
            previous = (files[position - 1], _rows_in(files[position - 1]) - 1)
        following = (filename, row + 1) if row + 1 < _rows_in(filename) else None
        if following is None and position + 1 < len(files):
            following = (files[position + 1], 0)
        return {"previous": previous, "next": following}


@functools.cache
def _rows_in(filename: str) -> int:
    """Rows of a shard, as its output format counts them."""
    return sink_of(Path(filename)).count_rows(Path(filename))


SEMANTIC_SCORE = "TRY_CAST(json_extract(scores, '$.semantic.score') AS DOUBLE)"
_INDEX_SQL = f"""
SELECT row_number() OVER () AS ordinal, filename, file_row_number, split, task, generator, src_lang, tgt_lang,
       coalesce(src_lang, '?') || ' -> ' || coalesce(tgt_lang, '?') AS direction,
       json_extract_string(meta, '$.instruction_lang') AS instruction_lang,
       CAST(json_extract(meta, '$.plan') AS VARCHAR[]) AS turn_types,
       reject_reason, split_part(reject_reason, ':', 1) AS reject_step,
       len(messages) AS messages_count,
       list_sum(list_transform(list_filter(messages, lambda m: m.role = 'assistant'), lambda m: length(m.content)))
           AS answer_chars,
       {SEMANTIC_SCORE} AS semantic_score,
       -- bands of 0.02 (a score of 0.957 is in "0.94-0.96")
       printf('%.2f-%.2f', floor({SEMANTIC_SCORE} * 50) / 50, floor({SEMANTIC_SCORE} * 50) / 50 + 0.02)
           AS semantic_band
FROM records
"""


def _literal(text: str) -> str:
    r"""An RE2 pattern matching `text` literally (`\Q...\E`, with any `\E` in it kept literal)."""
    return "\\Q" + text.replace("\\E", "\\E\\\\E\\Q") + "\\E"
