"""The machine a run measured on: CPUs, Python, package versions, load average."""

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from bench import mlserver_env

PACKAGES = (
    "grpcio",
    "protobuf",
    "httpx",
    "orjson",
    "uvicorn",
    "connexion",
    "scikit-learn",
    "numpy",
    "pandas",
    "skops",
    "dvc",
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (a noise indicator)."""
    return [round(v, 2) for v in os.getloadavg()]


def mlserver_version() -> str:
    """The MLServer version in its venv, or "not installed"."""
    if not mlserver_env.PYTHON.exists():
        return "not installed"
    probe = "import importlib.metadata as m; print(m.version('mlserver'))"
    done = subprocess.run(
        [mlserver_env.PYTHON, "-c", probe], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def machine_info() -> dict[str, object]:
    """Everything about the machine and the software that the report shows."""
    versions = {name: metadata.version(name) for name in PACKAGES}
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": versions,
        "load_average_start": load_average(),
    }


def _memory_gb() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return None
    first = meminfo.read_text().splitlines()[0].split()
    return round(int(first[1]) / 1024 / 1024, 1)
