"""Durable request cache: SQLite in WAL mode, keyed by a hash of the canonical request."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import orjson


def request_key(request: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a request (model, messages, parameters, seed): sorted keys, no
    spaces, UTF-8 as is (orjson writes the same bytes as `json.dumps(..., ensure_ascii=False,
    sort_keys=True, separators=(",", ":"))`, which made the keys of older caches, 15 times faster)."""
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()


class RequestCache:
    """Maps request keys to answers. Survives `kill -9`: answers that arrive together are committed
    together (group commit), in the event loop's next turn after they arrive, before anything is built
    on them; outside an event loop each is committed at once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, keys TEXT NOT NULL, done INTEGER)")
        # A job about to be created, by the tag it carries in its metadata: a run killed before it stored the
        # job's id finds the job again by that tag instead of paying for its requests twice.
        self._db.execute("CREATE TABLE IF NOT EXISTS submissions (tag TEXT PRIMARY KEY, keys TEXT NOT NULL)")
        self._pending: dict[str, str] = {}  # answers received, committed in the loop's next turn
        self._flush_scheduled = False

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer for `key`, or None."""
        if (pending := self._pending.get(key)) is not None:
            return orjson.loads(pending)
        row = self._db.execute("SELECT value FROM replies WHERE key = ?", (key,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store an answer (idempotent): committed with the others that arrive in the same turn of the loop."""
        self._pending[key] = orjson.dumps(value).decode()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        """Commit the answers not committed yet, in one transaction."""
        self._flush_scheduled = False
        if not self._pending:
            return
        rows, self._pending = list(self._pending.items()), {}
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO replies (key, value) VALUES (?, ?)", rows)

    def add_submission(self, tag: str, keys: list[str]) -> None:
        """Remember a job before it is created (its metadata carries `tag`)."""
        self._db.execute("INSERT OR REPLACE INTO submissions (tag, keys) VALUES (?, ?)", (tag, json.dumps(keys)))

    def pending_submissions(self) -> list[tuple[str, list[str]]]:
        """Jobs that may have been created without their id being stored."""
        rows = self._db.execute("SELECT tag, keys FROM submissions").fetchall()
        return [(tag, json.loads(keys)) for tag, keys in rows]

    def drop_submission(self, tag: str) -> None:
        """Forget a submission: its job's id is stored, or it was never created."""
        self._db.execute("DELETE FROM submissions WHERE tag = ?", (tag,))

    def add_batch(self, batch_id: str, keys: list[str], tag: str | None = None) -> None:
        """Remember a submitted Batch API job and the requests in it (a restart polls it again); the job's
        submission, when given, is forgotten in the same transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO batches (id, keys, done) VALUES (?, ?, 0)", (batch_id, json.dumps(keys))
            )
            if tag is not None:
                self._db.execute("DELETE FROM submissions WHERE tag = ?", (tag,))

    def finish_batch(self, batch_id: str) -> None:
        """Mark a batch as collected."""
        self._db.execute("UPDATE batches SET done = 1 WHERE id = ?", (batch_id,))

    def pending_batches(self) -> list[tuple[str, list[str]]]:
        """Submitted batches whose results were not collected yet."""
        rows = self._db.execute("SELECT id, keys FROM batches WHERE done = 0").fetchall()
        return [(batch_id, json.loads(keys)) for batch_id, keys in rows]

    def __len__(self) -> int:
        self.flush()
        return self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        """Commit what is pending and close the database."""
        self.flush()
        self._db.close()
