"""The ports between the handlers and the stores: plain records and `Protocol`s.

The handlers and the training code depend on these, never on a concrete adapter, so the
embedded adapters and the S3/ClearML ones are interchangeable.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ColumnInfo:
    """A column of a stored dataset version."""

    name: str
    dtype: str
    null_count: int = 0


@dataclass(frozen=True)
class DatasetVersionRecord:
    """One immutable stored dataset version, as the index keeps it."""

    dataset_id: str
    version: int
    md5: str
    size_bytes: int
    row_count: int
    columns: tuple[ColumnInfo, ...]
    format: str  # "csv" or "json"
    description: str
    created_at: datetime

    @property
    def column_names(self) -> list[str]:
        """The column names, in file order."""
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class DatasetSummary:
    """A dataset with all its versions, oldest first."""

    dataset_id: str
    versions: tuple[DatasetVersionRecord, ...] = field(default_factory=tuple)

    @property
    def latest(self) -> DatasetVersionRecord:
        """The newest version."""
        return self.versions[-1]


class DatasetStore(Protocol):
    """Versioned dataset storage (DVC underneath)."""

    def get_version(self, dataset_id: str, version: int = 0) -> DatasetVersionRecord:
        """Return one version (0 = latest); raise NotFound when absent."""
        ...

    def local_path(self, record: DatasetVersionRecord) -> Path:
        """Return a readable local file with the version's exact bytes (cache, else remote)."""
        ...

    def list_datasets(self) -> list[DatasetSummary]:
        """Return every dataset with its versions, ordered by id."""
        ...
