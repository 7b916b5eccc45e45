"""Where the dataset store keeps things under `settings.datasets_dir`, and the remote's options."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.settings import Settings
from server.storage.s3 import dvc_remote_options, dvc_remote_url, s3_configured


@dataclass(frozen=True)
class StoreLayout:
    """Absolute paths of the DVC repository, its cache, the staging area, index and lock."""

    root: Path

    @property
    def repo(self) -> Path:
        """The DVC repository (pointers only; no workspace copies of the data)."""
        return self.root / "repo"

    @property
    def cache(self) -> Path:
        """DVC's local cache: the files themselves, by md5."""
        return self.root / "cache"

    @property
    def incoming(self) -> Path:
        """Uploads being received."""
        return self.root / "incoming"

    @property
    def index(self) -> Path:
        """The SQLite index of datasets and versions."""
        return self.root / "index.sqlite"

    @property
    def lock(self) -> Path:
        """The file locked by whoever writes to the store."""
        return self.root / "writer.lock"

    def create(self) -> None:
        """Create the folders."""
        for folder in (self.repo, self.cache / "files" / "md5", self.incoming):
            folder.mkdir(parents=True, exist_ok=True)


def remote_url(settings: Settings) -> str:
    """The DVC remote: S3 when an S3 endpoint is set, else the setting (local dirs absolute)."""
    if s3_configured(settings):
        return dvc_remote_url(settings)
    url = settings.dvc_remote_url
    if "://" in url:
        return url
    return str(Path(url).expanduser().resolve())


def remote_options(settings: Settings) -> dict[str, Any]:
    """DVC options of the S3 remote (endpoint, keys, timeouts); none for other remotes."""
    return dict(dvc_remote_options(settings)) if s3_configured(settings) else {}
