"""The on-disk cache of downloaded weights: one folder per ClearML model id."""

import os
import re
import shutil
import uuid
from pathlib import Path

from server.settings import Settings

_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_PARTIAL = ".partial"


def weights_cache_dir(settings: Settings) -> Path:
    """Where downloaded weights are kept, by ClearML model id."""
    return settings.data_dir / "clearml" / "weights"


def model_folder(cache_dir: Path, model_id: str) -> Path:
    """The folder of one model's weights; ValueError for an id that is not a plain name."""
    if not _MODEL_ID.fullmatch(model_id) or model_id.startswith(".."):
        raise ValueError(f"not a ClearML model id: {model_id!r}")
    return cache_dir / model_id


def cached_weights(cache_dir: Path, model_id: str) -> Path | None:
    """The cached weights file of the model, if it is there."""
    folder = model_folder(cache_dir, model_id)
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(_PARTIAL))
    return files[0] if files else None


def store_weights(cache_dir: Path, model_id: str, downloaded: Path) -> Path:
    """Link (else copy) a downloaded file into the cache atomically; return the cached path."""
    folder = model_folder(cache_dir, model_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / downloaded.name
    partial = folder / f"{uuid.uuid4().hex}{_PARTIAL}"
    try:
        os.link(downloaded, partial)  # same volume as ClearML's cache: no second copy
    except OSError:
        shutil.copyfile(downloaded, partial)
    os.replace(partial, target)
    return target


def evict(cache_dir: Path, model_id: str) -> None:
    """Forget the model's cached weights (after it was deleted)."""
    shutil.rmtree(model_folder(cache_dir, model_id), ignore_errors=True)
