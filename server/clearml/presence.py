"""Notice, lazily and in the background, ClearML models deleted behind the service's back.

A model removed in the ClearML web UI leaves our record pointing at nothing. Reading a model
(GetModel, Predict) schedules a check of its ClearML model ids, at most once per `ttl`
seconds per id and one check at a time, in a daemon thread: the call itself never waits for
ClearML. Missing ids are handed to a callback; an unreachable ClearML proves nothing, so
nothing is reported then and the ids are checked again after `ttl`.
"""

import threading
import time
from collections.abc import Callable, Iterable

from loguru import logger

from server.errors import Unavailable

PRESENCE_TTL_S = 60.0
ExistingIds = Callable[[list[str]], set[str]]
OnMissing = Callable[[set[str]], None]


class PresenceChecker:
    """Checks ids in the background; reports the ones that no longer exist."""

    def __init__(self, existing: ExistingIds, ttl: float = PRESENCE_TTL_S) -> None:
        self._existing = existing
        self._ttl = ttl
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def schedule(self, ids: Iterable[str], on_missing: OnMissing) -> None:
        """Check the ids not checked within `ttl` (unless a check is already running)."""
        now = time.monotonic()
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            due = sorted({i for i in ids if i and now - self._checked.get(i, -1e18) >= self._ttl})
            if not due:
                return
            self._checked.update(dict.fromkeys(due, now))
            self._thread = threading.Thread(
                target=self._check, args=(due, on_missing), daemon=True, name="clearml-presence"
            )
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running check, if any, to end (tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def forget(self, ids: Iterable[str]) -> None:
        """Drop what is known about the ids (their models were deleted)."""
        with self._lock:
            for model_id in ids:
                self._checked.pop(model_id, None)

    def _check(self, ids: list[str], on_missing: OnMissing) -> None:
        try:
            missing = set(ids) - self._existing(ids)
            if missing:
                on_missing(missing)
        except Unavailable as error:
            logger.debug("presence check of ClearML models skipped: {}", error)
        except Exception:
            logger.exception("presence check of ClearML models failed")
