"""The on-disk cache of downloaded weights: one folder per ClearML model id.

A model's folder holds its weights file and, in an `onnx/` subfolder, its compiled (ONNX)
model when it has one; evicting the model drops both.
"""

import os
import re
import shutil
import uuid
from pathlib import Path

from server.settings import Settings

_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_PARTIAL = ".partial"
COMPILED = "onnx"  # the subfolder of a model's folder holding its ONNX file


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
    return _cached_file(model_folder(cache_dir, model_id))


def cached_compiled(cache_dir: Path, model_id: str) -> Path | None:
    """The cached ONNX file of the model, if it is there."""
    return _cached_file(model_folder(cache_dir, model_id) / COMPILED)


def store_weights(cache_dir: Path, model_id: str, downloaded: Path) -> Path:
    """Link (else copy) a downloaded file into the cache atomically; return the cached path."""
    return _store_file(model_folder(cache_dir, model_id), downloaded)


def store_compiled(cache_dir: Path, model_id: str, downloaded: Path) -> Path:
    """Link (else copy) an ONNX file into the model's `onnx/` folder; return the cached path."""
    return _store_file(model_folder(cache_dir, model_id) / COMPILED, downloaded)


def _cached_file(folder: Path) -> Path | None:
    """The one complete file in `folder` (subfolders and partial files are not it)."""
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(_PARTIAL))
    return files[0] if files else None


def _store_file(folder: Path, downloaded: Path) -> Path:
    """Put `downloaded` into `folder` under its own name, atomically."""
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
    """Forget the model's cached weights and ONNX file (after it was deleted)."""
    shutil.rmtree(model_folder(cache_dir, model_id), ignore_errors=True)
