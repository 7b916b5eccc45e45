"""Model weights in ClearML: publish from a training task, load (cached), check, delete.

Every SDK call is bounded in time (`server.clearml.bounded`) and raises `Unavailable` when
ClearML or the object storage cannot be reached. The SDK is imported lazily: loading cached
weights never touches it.
"""

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from loguru import logger

from server.clearml import cache
from server.clearml.bounded import TRANSFER_TIMEOUT_S, guarded
from server.errors import NotFound, Unavailable

FRAMEWORK = "ScikitLearn"


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


def delete_models(
    model_ids: Iterable[str], task_ids: Iterable[str] = (), cache_dir: Path | None = None
) -> None:
    """Delete models with their weights files and archive their tasks; missing ones are fine."""
    for model_id in model_ids:
        if cache_dir is not None:
            cache.evict(cache_dir, model_id)
        if model_exists(model_id):
            guarded(partial(_remove, model_id), f"delete model {model_id}")
            logger.info("deleted ClearML model {} and its weights", model_id)
    if tasks := list(task_ids):
        guarded(partial(_archive, tasks), f"archive tasks {', '.join(tasks)}")


def _existing(service: str, ids: list[str]) -> list[str]:
    """The ids among `ids` that the ClearML service ("models" or "tasks") has."""
    from clearml.backend_api.session.client import APIClient

    found = getattr(APIClient(), service).get_all(id=ids, only_fields=["id"])
    return [str(entity.id) for entity in found]


def _remove(model_id: str) -> None:
    from clearml import Model

    try:
        Model.remove(model_id, delete_weights_file=True, force=True, raise_on_errors=True)
    except ValueError as error:
        raise Unavailable(f"ClearML could not delete model {model_id}: {error}") from error


def _archive(task_ids: list[str]) -> None:
    from clearml.backend_api.session.client import APIClient

    if existing := _existing("tasks", task_ids):
        APIClient().tasks.archive_many(ids=existing, status_reason="model deleted in mlservice")
