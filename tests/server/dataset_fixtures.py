"""Helpers for the dataset tests: settings on temp dirs, streams, file listings, real DVC."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from server.settings import Settings


def store_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a store whose data (and local remote) live under `data_dir`."""
    return Settings(data_dir=data_dir, **overrides).resolved()  # type: ignore[arg-type]


async def chunked(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    """An upload's bytes as a stream of small chunks."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def failing_after(data: bytes, error: Exception) -> AsyncIterator[bytes]:
    """A stream that sends `data` and then breaks with `error`."""
    yield data
    raise error


def stored_files(settings: Settings) -> set[str]:
    """Every file that holds data or pointers (not DVC's own scratch state), relative."""
    found: set[str] = set()
    roots = {"data": settings.datasets_dir, "remote": Path(settings.dvc_remote_url)}
    for label, root in roots.items():
        for path in root.rglob("*"):
            relative = path.relative_to(root).as_posix()
            skipped = relative.startswith(("site-cache/", "repo/.dvc/tmp/", "index.sqlite"))
            if not skipped and relative != "writer.lock":
                found.add(f"{label}/{relative}")
    return found


def start_dvc(repo: Path, *args: str) -> "subprocess.Popen[str]":
    """Start the real `dvc` command line in `repo`."""
    return subprocess.Popen(
        [sys.executable, "-m", "dvc", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DVC_NO_ANALYTICS": "1"},
    )


def finish_dvc(process: "subprocess.Popen[str]") -> str:
    """Wait for a `dvc` command; assert it succeeded and return its output."""
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


def md5_paths(cache_or_remote: Path) -> Iterable[Path]:
    """The objects stored under a DVC cache or remote directory."""
    return (path for path in (cache_or_remote / "files" / "md5").rglob("*") if path.is_file())
