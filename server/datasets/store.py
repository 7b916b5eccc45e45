"""DvcDatasetStore: immutable dataset versions in a DVC repository, indexed in SQLite.

An upload is streamed to a staging file (md5 and size measured on the way), parsed, then
committed under the writer lock: pointer written, file moved into the DVC cache, pushed to the
remote, and only then recorded in the index, which is the commit point. Any failure undoes
the earlier steps, so a failed upload leaves no version and no file behind.
"""

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from loguru import logger

from server.datasets.dvc_repo import DvcRepo
from server.datasets.index import DatasetIndex
from server.datasets.layout import StoreLayout, remote_options, remote_url
from server.datasets.locks import WriterLock
from server.datasets.parsing import FORMATS, TableSummary, read_table, validate_file
from server.datasets.preview import Cell, preview_rows
from server.datasets.staging import StagedFile, remove_stale, stage_upload
from server.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from server.metrics import hooks as metrics_hooks
from server.names import check_id, dataset_name
from server.ports import DatasetSummary, DatasetVersionRecord
from server.settings import MIB, Settings
from server.storage.s3 import check_s3, s3_configured

STALE_UPLOAD_SECONDS = 6 * 3600


class DvcDatasetStore:
    """The `DatasetStore` adapter: DVC for the bytes, SQLite for the metadata."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._layout = StoreLayout(settings.datasets_dir)
        self._layout.create()
        self._lock = WriterLock(self._layout.lock)
        self._upload_lock = asyncio.Lock()
        self._index = DatasetIndex(self._layout.index)
        self._repo = DvcRepo(
            self._layout.repo, self._layout.cache, remote_url(settings), **remote_options(settings)
        )
        with self._lock.hold():
            self._repo.ensure_initialized()
            self._recover()

    async def upload(
        self, dataset_id: str, fmt: str, description: str, chunks: AsyncIterator[bytes]
    ) -> DatasetVersionRecord:
        """Store the streamed file as the next version of `dataset_id`."""
        check_id(dataset_id, "dataset_id")
        if fmt not in FORMATS:
            raise InvalidArgument("unknown format", [FieldViolation("format", f"one of {FORMATS}")])
        name, started = dataset_name(dataset_id), time.monotonic()
        logger.info("upload of {} started ({})", name, fmt)
        try:
            record = await self._receive_and_store(dataset_id, fmt, description, chunks)
        except asyncio.CancelledError:
            logger.warning("upload of {} cancelled by the client", name)
            metrics_hooks.dataset_upload("cancelled", 0, started)  # metrics
            raise
        except Exception as error:
            logger.warning("upload of {} failed: {}", name, error)
            metrics_hooks.dataset_upload("failed", 0, started)  # metrics
            raise
        metrics_hooks.dataset_upload("succeeded", record.size_bytes, started)  # metrics
        logger.info(
            "upload of {} v{} done: md5 {}, {} bytes, {} rows in {:.2f} s",
            name, record.version, record.md5, record.size_bytes, record.row_count,
            time.monotonic() - started,
        )  # fmt: skip
        return record

    async def _receive_and_store(
        self, dataset_id: str, fmt: str, description: str, chunks: AsyncIterator[bytes]
    ) -> DatasetVersionRecord:
        limit = self._settings.max_upload_bytes
        staged = await stage_upload(chunks, self._layout.incoming, limit)
        try:
            table = await asyncio.to_thread(validate_file, staged.path, fmt)
            async with self._upload_lock:  # one commit thread at a time; the others wait here
                return await asyncio.to_thread(
                    self._commit, dataset_id, fmt, description, staged, table
                )
        finally:
            staged.path.unlink(missing_ok=True)

    def _commit(
        self, dataset_id: str, fmt: str, description: str, staged: StagedFile, table: TableSummary
    ) -> DatasetVersionRecord:
        with self._lock.hold():
            version = self._index.next_version(dataset_id)
            record = DatasetVersionRecord(
                dataset_id, version, staged.md5, staged.size_bytes, table.row_count,
                table.columns, fmt, description, datetime.now(UTC),
            )  # fmt: skip
            pointer = self._repo.pointer_path(dataset_id, version, fmt)
            self._repo.write_pointer(pointer, staged.md5, staged.size_bytes)
            try:
                self._repo.place(staged.path, staged.md5)
                self._repo.push(pointer)
                self._index.add(record)
            except BaseException:
                self._repo.remove_pointer(pointer)
                if self._index.queue_removal_if_unreferenced(staged.md5):
                    self._remove_pending()
                raise
            self._remove_pending()  # retry removals an unreachable remote made fail earlier
            return record

    def get_version(self, dataset_id: str, version: int = 0) -> DatasetVersionRecord:
        """One version (0 = the latest); NotFound when the dataset or version does not exist."""
        return pick_version(self.get_dataset(dataset_id), version)

    def get_dataset(self, dataset_id: str) -> DatasetSummary:
        """A dataset with every version, oldest first; NotFound when it does not exist."""
        check_id(dataset_id, "dataset_id")
        versions = self._index.versions(dataset_id)
        if not versions:
            raise NotFound(f"{dataset_name(dataset_id)} not found")
        return DatasetSummary(dataset_id, tuple(versions))

    def list_datasets(self, after: str = "", limit: int | None = None) -> list[DatasetSummary]:
        """Datasets ordered by id, each with its versions: all, or `limit` ids after `after`."""
        page = self._index.page(after, limit)
        return [DatasetSummary(dataset_id, tuple(page[dataset_id])) for dataset_id in page]

    def local_path(self, record: DatasetVersionRecord) -> Path:
        """A local read-only file with the version's bytes: the cache, else fetched from remote."""
        path = self._repo.cache_path(record.md5)
        if not _intact(path, record.size_bytes):
            with self._lock.hold():
                if not _intact(path, record.size_bytes):
                    self._fetch(record, path)
        return path

    def _fetch(self, record: DatasetVersionRecord, path: Path) -> None:
        name = f"{dataset_name(record.dataset_id)} v{record.version}"
        stored = {(r.version, r.md5) for r in self._index.versions(record.dataset_id)}
        if (record.version, record.md5) not in stored:
            raise NotFound(f"{name} has been deleted")
        pointer = self._repo.pointer_path(record.dataset_id, record.version, record.format)
        self._repo.write_pointer(pointer, record.md5, record.size_bytes)  # in case it was lost
        logger.warning("{} (md5 {}) is not in the local cache: fetching it", name, record.md5)
        path.unlink(missing_ok=True)  # a damaged copy, if any
        self._repo.fetch(pointer)
        if not _intact(path, record.size_bytes):
            raise Unavailable(f"the data of {name} is in neither the local cache nor the remote")

    def preview(
        self, record: DatasetVersionRecord, rows: int
    ) -> tuple[list[str], list[list[Cell]]]:
        """The column names and first `rows` rows of a version (None for missing values)."""
        frame = read_table(self.local_path(record), record.format, nrows=rows)
        return preview_rows(frame, rows)

    def delete(self, dataset_id: str, version: int = 0) -> list[int]:
        """Delete a whole dataset (version 0) or one version; return the deleted versions."""
        with self._lock.hold():
            if version:
                records = [self.get_version(dataset_id, version)]
            else:
                records = list(self.get_dataset(dataset_id).versions)
            unreferenced = self._index.remove(records)
            for record in records:
                self._repo.remove_pointer(
                    self._repo.pointer_path(dataset_id, record.version, record.format)
                )
            self._remove_pending()
        deleted = [record.version for record in records]
        logger.info(
            "deleted {} versions {}; {} stored objects no longer referenced",
            dataset_name(dataset_id), deleted, len(unreferenced),
        )  # fmt: skip
        return deleted

    def _remove_pending(self) -> None:
        """Remove queued objects from the cache and the remote; failures stay queued."""
        for md5 in self._index.pending_removals():
            try:
                if not self._index.refcount(md5):
                    self._repo.remove_object(md5)
                self._index.removal_done(md5)
            except Exception as error:
                logger.warning("could not remove object {} yet: {}", md5, error)

    def _recover(self) -> None:
        """Undo what an interrupted upload or delete left behind."""
        known = self._index.keys()
        for pointer, md5 in self._repo.orphan_pointers(known):
            logger.warning("removing orphan pointer {}", pointer.relative_to(self._layout.root))
            self._repo.remove_pointer(pointer)
            if md5:
                self._index.queue_removal_if_unreferenced(md5)
        self._remove_pending()
        if removed := remove_stale(self._layout.incoming, STALE_UPLOAD_SECONDS):
            logger.warning("removed {} stale partial uploads", removed)

    def check(self) -> tuple[str, str]:
        """("OK" | "DEGRADED" | "DOWN", message) for the local store: index, disk, leftovers."""
        try:
            datasets, versions = self._index.counts()
            pending = len(self._index.pending_removals())
        except Exception as error:
            return "DOWN", f"dataset index unreadable: {error}"
        if not os.access(self._layout.root, os.W_OK):
            return "DOWN", "the datasets directory is not writable"
        free = shutil.disk_usage(self._layout.root).free
        if free < self._settings.max_upload_bytes:
            return "DEGRADED", f"only {free // MIB} MiB of disk free"
        summary = f"{datasets} datasets, {versions} versions"
        if pending:
            return "DEGRADED", f"{summary}; {pending} deleted objects not yet removed"
        return "OK", summary

    def check_remote(self) -> tuple[str, str]:
        """("OK" | "DOWN", message) for the DVC remote (S3: the bucket, within seconds)."""
        if s3_configured(self._settings):
            return check_s3(self._settings)
        return self._repo.check_remote()

    def counts(self) -> tuple[int, int]:
        """The number of datasets and of versions."""
        return self._index.counts()


def pick_version(summary: DatasetSummary, version: int = 0) -> DatasetVersionRecord:
    """The given version (0 = the latest) of a dataset; NotFound when there is no such version."""
    if not version:
        return summary.latest
    for record in summary.versions:
        if record.version == version:
            return record
    raise NotFound(f"{dataset_name(summary.dataset_id)} has no version {version}")


def _intact(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False
