"""Resident memory of other processes, sampled from /proc/<pid>/status in a thread."""

import threading
from pathlib import Path
from types import TracebackType

MIB = 1024 * 1024


def rss_mb(pid: int) -> float | None:
    """The current VmRSS of a process in MiB, None when it is gone or unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RssSampler:
    """Records each process's RSS before, and its peak during, a `with` block."""

    def __init__(self, pids: dict[str, int], interval_s: float = 0.05) -> None:
        self.pids = pids
        self.interval_s = interval_s
        self.before: dict[str, float] = {}
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            value = rss_mb(pid)
            if value is not None:
                self.peak[name] = max(self.peak.get(name, 0.0), value)

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def growth(self, name: str) -> float:
        """Peak minus the value before the block, in MiB."""
        return self.peak.get(name, 0.0) - self.before.get(name, 0.0)

    def __enter__(self) -> "RssSampler":
        self.before = {name: rss_mb(pid) or 0.0 for name, pid in self.pids.items()}
        self.peak = dict(self.before)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
