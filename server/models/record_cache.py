"""Model records kept in memory between writes: a Predict reads one without touching SQLite.

The server process is the registry's only writer, so invalidating on every write keeps the
cache exact. A read that raced with a write is returned but not kept (the generation moved).
"""

import threading
from collections.abc import Callable

from server.models.records import ModelRecord


class RecordCache:
    """Thread-safe map of model id to its last read record, dropped by `invalidate`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, ModelRecord] = {}
        self._generation = 0

    def get(self, model_id: str, load: Callable[[str], ModelRecord]) -> ModelRecord:
        """The cached record, else `load(model_id)` (kept unless a write happened meanwhile)."""
        with self._lock:
            found = self._records.get(model_id)
            generation = self._generation
        if found is not None:
            return found
        record = load(model_id)
        with self._lock:
            if generation == self._generation:
                self._records[model_id] = record
        return record

    def invalidate(self, model_id: str) -> None:
        """Forget a model after a write to it (call once the write is committed)."""
        with self._lock:
            self._records.pop(model_id, None)
            self._generation += 1
