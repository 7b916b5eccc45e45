"""Streaming an upload to a temp file: md5 while writing, a size limit, cleanup on failure.

Small chunks are buffered and written (and hashed) in a worker thread about a MiB at a time,
so the event loop never waits on the disk and memory stays bounded whatever the file size.
"""

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from server.errors import ResourceExhausted

FLUSH_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StagedFile:
    """An uploaded file in the staging area, with what was measured while receiving it."""

    path: Path
    md5: str
    size_bytes: int


class _HashingWriter:
    """Buffers chunks and writes them with their md5 in a thread; enforces the size limit."""

    def __init__(self, out: BinaryIO, limit: int) -> None:
        self._out = out
        self._limit = limit
        self._md5 = hashlib.md5()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.size = 0

    async def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._limit:
            raise ResourceExhausted(f"the upload is larger than the limit of {self._limit} bytes")
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= FLUSH_BYTES:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        if pending:
            await asyncio.to_thread(self._write, pending)

    def _write(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self._md5.update(chunk)
            self._out.write(chunk)

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()


async def stage_upload(chunks: AsyncIterator[bytes], directory: Path, limit: int) -> StagedFile:
    """Write `chunks` to a new file in `directory`; the file is removed if anything fails."""
    fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            writer = _HashingWriter(out, limit)
            async for chunk in chunks:
                await writer.add(chunk)
            await writer.flush()
        return StagedFile(path, writer.md5, writer.size)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def remove_stale(directory: Path, max_age_seconds: float) -> int:
    """Remove staged uploads older than `max_age_seconds` (left by a crash); return how many."""
    removed = 0
    cutoff = time.time() - max_age_seconds
    for path in directory.glob("upload-*.part"):
        with suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed
