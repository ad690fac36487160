"""Durable request cache: SQLite in WAL mode, keyed by a hash of the canonical request."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any


def request_key(request: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a request (model, messages, parameters, seed)."""
    canonical = json.dumps(request, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class RequestCache:
    """Maps request keys to answers. Survives `kill -9`: every answer is committed as it arrives."""

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

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer for `key`, or None."""
        row = self._db.execute("SELECT value FROM replies WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store an answer (idempotent)."""
        self._db.execute(
            "INSERT OR REPLACE INTO replies (key, value) VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False)),
        )

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
        return self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        self._db.close()
