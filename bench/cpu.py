"""CPU time of other processes, read from /proc/<pid>/stat."""

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
UTIME_FIELD = 11  # utime, then stime, counted after the ")" that ends the command name


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()
    utime, stime = int(fields[UTIME_FIELD]), int(fields[UTIME_FIELD + 1])
    return (utime + stime) / TICKS_PER_SECOND


def total_cpu_seconds(pids: tuple[int, ...]) -> float:
    """The CPU time of several processes together, in seconds."""
    return sum(cpu_seconds(pid) for pid in pids)
