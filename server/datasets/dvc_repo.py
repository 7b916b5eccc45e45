"""The DVC side of the store: a repository without git, its cache and its remote.

Uploaded files are moved into the cache in DVC's own layout (`files/md5/xx/rest`, the md5
having been computed while streaming), described by a `.dvc` pointer per version and pushed
with DVC's Python API, so `dvc status -c`, `dvc pull` and friends work on the repository.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.errors import Unavailable

if TYPE_CHECKING:
    from dvc.repo import Repo

REMOTE_NAME = "storage"
_POINTER_NAME = re.compile(r"v(\d+)\.(csv|json)\.dvc")
_POINTER_MD5 = re.compile(r"md5: ([0-9a-f]{32})")


class DvcRepo:
    """A `dvc init --no-scm` repository whose cache and remote hold the dataset files."""

    def __init__(self, root: Path, cache_dir: Path, remote_url: str, **remote_options: Any) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.site_cache_dir = cache_dir.parent / "site-cache"
        self._remote_url = remote_url
        # Credentials are given at runtime only, never written to the repository's config.
        options = {"url": remote_url, **remote_options}
        self._runtime_config = {"remote": {REMOTE_NAME: options}} if remote_options else None

    def ensure_initialized(self) -> None:
        """Create the repository if needed and (re)write its config from the settings."""
        from dvc.config import Config
        from dvc.ignore import init as init_dvcignore

        dvc_dir = self.root / ".dvc"
        if not dvc_dir.is_dir():  # `dvc init --no-scm`, without a site cache outside
            dvc_dir.mkdir(parents=True)
            Config.init(str(dvc_dir))
            init_dvcignore(str(self.root))
        with Config(str(dvc_dir)).edit("repo") as conf:
            conf["core"].update(
                no_scm=True,
                remote=REMOTE_NAME,
                analytics=False,
                site_cache_dir=str(self.site_cache_dir),
            )
            conf["cache"]["dir"] = str(self.cache_dir)
            conf["remote"][REMOTE_NAME] = {"url": self._remote_url}
        if "://" not in self._remote_url:
            Path(self._remote_url).mkdir(parents=True, exist_ok=True)
        with self._open():  # fails early on a bad config, and loads DVC before the first call
            pass

    @contextmanager
    def _open(self) -> Iterator["Repo"]:
        from dvc.repo import Repo

        with Repo(str(self.root), config=self._runtime_config) as repo:
            yield repo

    def cache_path(self, md5: str) -> Path:
        """Where DVC keeps the object with this md5 in the local cache."""
        return self.cache_dir / "files" / "md5" / md5[:2] / md5[2:]

    def pointer_path(self, dataset_id: str, version: int, fmt: str) -> Path:
        """The `.dvc` pointer file of one dataset version."""
        return self.root / dataset_id / f"v{version}.{fmt}.dvc"

    def write_pointer(self, pointer: Path, md5: str, size: int) -> None:
        """Write a DVC 3 pointer for a file with this md5 and size (atomically)."""
        data_name = pointer.name.removesuffix(".dvc")
        text = f"outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: {data_name}\n"
        pointer.parent.mkdir(parents=True, exist_ok=True)
        partial = pointer.with_name(pointer.name + ".tmp")
        partial.write_text(text)
        os.replace(partial, pointer)

    def remove_pointer(self, pointer: Path) -> None:
        """Remove a pointer file, and its dataset folder once empty."""
        pointer.unlink(missing_ok=True)
        with suppress(OSError):
            pointer.parent.rmdir()

    def place(self, staged: Path, md5: str) -> None:
        """Move a staged file into the cache as the object `md5` (kept if already there)."""
        target = self.cache_path(md5)
        if target.is_file():
            staged.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged, 0o444)  # DVC keeps cache objects read-only
        os.replace(staged, target)

    def push(self, pointer: Path) -> None:
        """Upload the pointer's object from the cache to the remote."""
        try:
            with self._open() as repo:
                repo.push(targets=[str(pointer)], remote=REMOTE_NAME)
        except Exception as error:
            raise Unavailable(f"could not push to the dataset remote: {error}") from error

    def fetch(self, pointer: Path) -> None:
        """Download the pointer's object from the remote into the cache."""
        try:
            with self._open() as repo:
                repo.fetch(targets=[str(pointer)], remote=REMOTE_NAME)
        except Exception as error:
            raise Unavailable(f"could not fetch from the dataset remote: {error}") from error

    def remove_object(self, md5: str) -> None:
        """Delete the object from the cache and from the remote (missing ones are fine)."""
        _remove_file(self.cache_path(md5))
        with self._open() as repo:
            odb = repo.cloud.get_remote_odb(REMOTE_NAME)
            if odb.fs.protocol == "local":
                _remove_file(Path(odb.oid_to_path(md5)))
            else:
                with suppress(FileNotFoundError):
                    odb.delete(md5)

    def orphan_pointers(self, known: set[tuple[str, int]]) -> Iterator[tuple[Path, str | None]]:
        """Pointers (with their md5) whose (dataset, version) is not in `known`."""
        for pointer in self.root.glob("*/v*.dvc"):
            match = _POINTER_NAME.fullmatch(pointer.name)
            if match and (pointer.parent.name, int(match[1])) in known:
                continue
            found = _POINTER_MD5.search(pointer.read_text(errors="replace"))
            yield pointer, found[1] if found else None

    def check_remote(self) -> tuple[str, str]:
        """("OK" | "DOWN", message) for the remote: reachable and, when local, writable."""
        if "://" not in self._remote_url:
            directory = Path(self._remote_url)
            if directory.is_dir() and os.access(directory, os.W_OK):
                return "OK", "local directory remote is writable"
            return "DOWN", "local directory remote is missing or not writable"
        try:
            with self._open() as repo:
                remote = repo.cloud.get_remote(REMOTE_NAME)
                remote.fs.exists(remote.path)
        except Exception as error:
            return "DOWN", f"remote unreachable: {error}"
        return "OK", f"remote reachable ({remote.fs.protocol})"


def _remove_file(path: Path) -> None:
    """Remove a file and its prefix folder once empty, as a fresh cache would look."""
    path.unlink(missing_ok=True)
    with suppress(OSError):
        path.parent.rmdir()
