"""Model weights in ClearML: publish from a training task, load (cached), check, delete.

A model's compiled (ONNX) file joins it after the task is closed (the worker compiles after
READY): it is uploaded beside the weights and its URL recorded in the model's metadata
(`ONNX_URL`), so any server with the model id can load it, and deleting the model deletes it.

Every SDK call is bounded in time (`server.clearml.bounded`) and raises `Unavailable` when
ClearML or the object storage cannot be reached. The SDK is imported lazily: loading cached
weights never touches it.
"""

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from loguru import logger

from server.clearml import cache
from server.clearml.bounded import TRANSFER_TIMEOUT_S, guarded
from server.errors import NotFound, Unavailable

FRAMEWORK = "ScikitLearn"
ONNX_URL = "onnx_url"  # the metadata key of the ONNX file's URL


def publish_weights(
    task: Any, path: Path, name: str, metadata: Mapping[str, object], tags: Sequence[str]
) -> str:
    """Upload a weights file as the task's OutputModel (to its output_uri); return the id."""

    def publish() -> str:
        from clearml import OutputModel

        model = OutputModel(task=task, name=name, framework=FRAMEWORK, tags=list(tags))
        url = model.update_weights(
            weights_filename=str(path), async_enable=False, auto_delete_file=False
        )
        if not url or url.startswith("file://"):
            raise Unavailable(f"weights of {name} were not uploaded (url {url!r})")
        model.set_all_metadata({k: {"value": str(v), "type": "str"} for k, v in metadata.items()})
        return str(model.id)

    model_id = guarded(publish, f"publish weights of {name}", TRANSFER_TIMEOUT_S)
    logger.info("published weights of {} as ClearML model {}", name, model_id)
    return model_id


def model_exists(model_id: str) -> bool:
    """Whether ClearML still has the model (one deleted in the ClearML UI is gone)."""
    query = partial(_existing, "models", [model_id])
    return bool(guarded(query, f"look up model {model_id}"))


def existing_models(model_ids: Iterable[str]) -> set[str]:
    """The ids among `model_ids` that ClearML still has (one API call for all of them)."""
    ids = sorted(set(model_ids))
    if not ids:
        return set()
    query = partial(_existing, "models", ids)
    return set(guarded(query, f"look up models {', '.join(ids)}"))


def load_weights(model_id: str, cache_dir: Path) -> Path:
    """A local copy of the model's weights: the cache, else downloaded from its URL."""
    cached = cache.cached_weights(cache_dir, model_id)
    if cached is not None:
        return cached
    if not model_exists(model_id):
        raise NotFound(f"ClearML model {model_id} no longer exists")

    def download() -> str | None:
        from clearml import InputModel

        try:
            return InputModel(model_id=model_id).get_local_copy(raise_on_error=True)
        except ValueError as error:  # the SDK's "download failed", storage errors included
            raise Unavailable(f"could not download ClearML model {model_id}: {error}") from error

    local = guarded(download, f"download model {model_id}", TRANSFER_TIMEOUT_S)
    if not local or not Path(local).is_file():
        raise Unavailable(f"could not download the weights of ClearML model {model_id}")
    return cache.store_weights(cache_dir, model_id, Path(local))


def attach_onnx(model_id: str, path: Path) -> str:
    """Upload an ONNX file beside the model's weights, record its URL (`ONNX_URL`); the URL."""

    def attach() -> str:
        from clearml import Model

        model = Model(model_id=model_id)
        url = upload_beside(str(model.url), path)
        if not model.set_metadata(ONNX_URL, url, "str"):
            delete_stored_file(url)  # not recorded: nothing would ever delete it
            raise Unavailable(f"ClearML did not record the ONNX file on model {model_id}")
        return url

    url = guarded(attach, f"attach the ONNX file to model {model_id}", TRANSFER_TIMEOUT_S)
    logger.info("attached the ONNX file {} to ClearML model {}", url, model_id)
    return url


def upload_beside(weights_url: str, path: Path) -> str:
    """Upload a file into the weights' folder, under its own name; its URL (SDK call)."""
    from clearml import StorageManager

    target = beside(weights_url, path.name)
    return str(StorageManager.upload_file(str(path), target, wait_for_upload=True))


def beside(weights_url: str, name: str) -> str:
    """The URL of a file called `name` in the same folder as the weights."""
    if "://" not in weights_url or weights_url.startswith("file://"):
        raise Unavailable(f"the model's weights are not in remote storage (url {weights_url!r})")
    folder = weights_url.rpartition("/")[0]
    if folder.startswith(("http://", "https://")):
        folder = unquote(folder)  # file-server URLs come quoted; the upload quotes them again
    return f"{folder}/{name}"


def load_onnx(model_id: str, cache_dir: Path) -> Path | None:
    """A local copy of the model's ONNX file: the cache, else downloaded from its `ONNX_URL`.

    None when the model has no ONNX file; `NotFound` when the model is gone.
    """
    cached = cache.cached_compiled(cache_dir, model_id)
    if cached is not None:
        return cached
    if not model_exists(model_id):
        raise NotFound(f"ClearML model {model_id} no longer exists")

    def download() -> str | None:
        from clearml import Model, StorageManager

        url = Model(model_id=model_id).get_metadata(ONNX_URL)
        if not url:
            return None
        local = StorageManager.get_local_copy(str(url), extract_archive=False)
        if not local or not Path(local).is_file():
            raise Unavailable(f"could not download the ONNX file of ClearML model {model_id}")
        return str(local)

    local = guarded(download, f"download the ONNX file of model {model_id}", TRANSFER_TIMEOUT_S)
    if local is None:
        return None
    logger.info("downloaded the ONNX file of ClearML model {}", model_id)
    return cache.store_compiled(cache_dir, model_id, Path(local))


def delete_models(
    model_ids: Iterable[str], task_ids: Iterable[str] = (), cache_dir: Path | None = None
) -> None:
    """Delete models with their weights and ONNX files, archive their tasks; missing are fine."""
    for model_id in model_ids:
        if cache_dir is not None:
            cache.evict(cache_dir, model_id)
        if model_exists(model_id):
            guarded(partial(_remove, model_id), f"delete model {model_id}")
            logger.info("deleted ClearML model {} and its files", model_id)
    if tasks := list(task_ids):
        guarded(partial(_archive, tasks), f"archive tasks {', '.join(tasks)}")


def _existing(service: str, ids: list[str]) -> list[str]:
    """The ids among `ids` that the ClearML service ("models" or "tasks") has."""
    from clearml.backend_api.session.client import APIClient

    found = getattr(APIClient(), service).get_all(id=ids, only_fields=["id"])
    return [str(entity.id) for entity in found]


def _remove(model_id: str) -> None:
    """Delete the model's ONNX file, if any, then the model with its weights file.

    In this order, so a failure leaves the URL recorded for the retry (`Model.remove` only
    deletes the weights file).
    """
    from clearml import Model

    onnx_url = Model(model_id=model_id).get_metadata(ONNX_URL)
    if onnx_url:
        delete_stored_file(str(onnx_url))
    try:
        Model.remove(model_id, delete_weights_file=True, force=True, raise_on_errors=True)
    except ValueError as error:
        raise Unavailable(f"ClearML could not delete model {model_id}: {error}") from error


def delete_stored_file(url: str) -> None:
    """Delete one file from the model storage; one that is not there is fine (SDK call)."""
    from clearml import StorageManager
    from clearml.storage.helper import StorageHelper

    helper = StorageHelper.get(url)
    if helper is None:
        raise Unavailable(f"ClearML has no storage access for {url}")
    # S3 answers a delete of a missing object with success, ClearML's file server with 404.
    if not helper.delete(url, silent=True) and StorageManager.exists_file(url):
        raise Unavailable(f"ClearML could not delete {url}")


def _archive(task_ids: list[str]) -> None:
    from clearml.backend_api.session.client import APIClient

    if existing := _existing("tasks", task_ids):
        APIClient().tasks.archive_many(ids=existing, status_reason="model deleted in mlservice")
