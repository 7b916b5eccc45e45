"""The dataset index: a SQLite file with every version's metadata and reference counts by md5.

Version numbers come from a per-dataset counter that survives deletes, so a number is never
reused for a name: `(dataset, version)` always means the same bytes. Objects whose last
reference goes away are queued in `pending_removals` in the same transaction, so a failed or
interrupted removal is retried later instead of leaking.
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from server.ports import ColumnInfo, DatasetVersionRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS version_counters (
    dataset_id TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_versions (
    dataset_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    columns TEXT NOT NULL,
    format TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);
CREATE INDEX IF NOT EXISTS dataset_versions_md5 ON dataset_versions (md5);
CREATE TABLE IF NOT EXISTS pending_removals (md5 TEXT PRIMARY KEY);
"""
_COLUMNS = "dataset_id, version, md5, size_bytes, row_count, columns, format, description"
_SELECT = f"SELECT {_COLUMNS}, created_at FROM dataset_versions"


def _to_row(record: DatasetVersionRecord) -> tuple[object, ...]:
    columns = json.dumps([[c.name, c.dtype, c.null_count] for c in record.columns])
    return (
        record.dataset_id,
        record.version,
        record.md5,
        record.size_bytes,
        record.row_count,
        columns,
        record.format,
        record.description,
        record.created_at.isoformat(),
    )


def _from_row(row: sqlite3.Row) -> DatasetVersionRecord:
    columns = tuple(ColumnInfo(name, dtype, nulls) for name, dtype, nulls in json.loads(row[5]))
    return DatasetVersionRecord(
        dataset_id=row[0],
        version=row[1],
        md5=row[2],
        size_bytes=row[3],
        row_count=row[4],
        columns=columns,
        format=row[6],
        description=row[7],
        created_at=datetime.fromisoformat(row[8]),
    )


class DatasetIndex:
    """Versions, counters and pending object removals in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30)
        try:
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    def next_version(self, dataset_id: str) -> int:
        """The number the next version of `dataset_id` gets (call under the writer lock)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT last_version FROM version_counters WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()
        return (row[0] if row else 0) + 1

    def add(self, record: DatasetVersionRecord) -> None:
        """Insert a version, advance its dataset's counter and un-queue its md5, atomically."""
        with self._connect() as db:
            db.execute(
                f"INSERT INTO dataset_versions VALUES ({', '.join('?' * 9)})", _to_row(record)
            )
            db.execute(
                "INSERT INTO version_counters VALUES (?, ?) ON CONFLICT (dataset_id) "
                "DO UPDATE SET last_version = max(last_version, excluded.last_version)",
                (record.dataset_id, record.version),
            )
            db.execute("DELETE FROM pending_removals WHERE md5 = ?", (record.md5,))

    def versions(self, dataset_id: str) -> list[DatasetVersionRecord]:
        """Every version of a dataset, oldest first (empty when there is none)."""
        with self._connect() as db:
            rows = db.execute(f"{_SELECT} WHERE dataset_id = ? ORDER BY version", (dataset_id,))
            return [_from_row(row) for row in rows]

    def page(self, after: str, limit: int | None) -> dict[str, list[DatasetVersionRecord]]:
        """The versions of up to `limit` datasets whose ids sort after `after`, by id."""
        with self._connect() as db:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT dataset_id FROM dataset_versions WHERE dataset_id > ? "
                    "ORDER BY dataset_id LIMIT ?",
                    (after, -1 if limit is None else limit),
                )
            ]
            if not ids:
                return {}
            rows = db.execute(
                f"{_SELECT} WHERE dataset_id BETWEEN ? AND ? ORDER BY dataset_id, version",
                (ids[0], ids[-1]),
            )
            found: dict[str, list[DatasetVersionRecord]] = {}
            for row in rows:
                found.setdefault(row[0], []).append(_from_row(row))
            return found

    def remove(self, records: list[DatasetVersionRecord]) -> list[str]:
        """Delete versions; queue and return the md5s that no version refers to any more."""
        with self._connect() as db:
            for record in records:
                db.execute(
                    "DELETE FROM dataset_versions WHERE dataset_id = ? AND version = ?",
                    (record.dataset_id, record.version),
                )
            unreferenced = [md5 for md5 in {r.md5 for r in records} if not _refcount(db, md5)]
            db.executemany(
                "INSERT OR IGNORE INTO pending_removals VALUES (?)", [(m,) for m in unreferenced]
            )
        return sorted(unreferenced)

    def queue_removal_if_unreferenced(self, md5: str) -> bool:
        """Queue `md5` for removal when no version refers to it; return whether it was."""
        with self._connect() as db:
            if _refcount(db, md5):
                return False
            db.execute("INSERT OR IGNORE INTO pending_removals VALUES (?)", (md5,))
            return True

    def pending_removals(self) -> list[str]:
        """The md5s whose objects still have to be removed from the cache and the remote."""
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT md5 FROM pending_removals ORDER BY md5")]

    def removal_done(self, md5: str) -> None:
        """Forget a pending removal once the objects are gone."""
        with self._connect() as db:
            db.execute("DELETE FROM pending_removals WHERE md5 = ?", (md5,))

    def refcount(self, md5: str) -> int:
        """How many versions (of any dataset) store these bytes."""
        with self._connect() as db:
            return _refcount(db, md5)

    def keys(self) -> set[tuple[str, int]]:
        """Every stored (dataset id, version)."""
        with self._connect() as db:
            return {
                (r[0], r[1]) for r in db.execute("SELECT dataset_id, version FROM dataset_versions")
            }

    def counts(self) -> tuple[int, int]:
        """The number of datasets and of versions."""
        with self._connect() as db:
            row = db.execute(
                "SELECT COUNT(DISTINCT dataset_id), COUNT(*) FROM dataset_versions"
            ).fetchone()
        return int(row[0]), int(row[1])


def _refcount(db: sqlite3.Connection, md5: str) -> int:
    row = db.execute("SELECT COUNT(*) FROM dataset_versions WHERE md5 = ?", (md5,)).fetchone()
    return int(row[0])
