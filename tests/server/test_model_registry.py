"""The embedded registry and the manager's recovery: nothing lives only in memory."""

import pytest
import pytest_asyncio

from server.datasets.store import DvcDatasetStore
from server.errors import AlreadyExists, InvalidArgument, NotFound
from server.models.classes import Task
from server.models.listing import ListQuery, select_page
from server.models.manager import RESTARTED, ModelManager
from server.models.records import ModelRecord, ModelState, VersionRecord, utc_now
from server.models.registry import LocalModelRegistry
from tests.server.model_fixtures import model_settings


def version(number: int, state: ModelState = ModelState.READY) -> VersionRecord:
    now = utc_now()
    return VersionRecord(
        version=number,
        state=state,
        model_class="Ridge",
        hyperparameters={"alpha": 0.5},
        dataset_version=1,
        test_size=0.2,
        random_state=0,
        feature_types={"a": "number", "b": "string"},
        run_id=f"run{number}",
        create_time=now,
        update_time=now,
        metrics={"r2": 0.5} if state is ModelState.READY else {},
    )


def model(model_id: str, *versions: VersionRecord) -> ModelRecord:
    return ModelRecord(
        model_id=model_id,
        task=Task.REGRESSION,
        dataset_id="d",
        target_column="y",
        feature_columns=("a", "b"),
        create_time=utc_now(),
        versions=versions or (version(1),),
    )


def test_records_survive_a_new_registry_instance(tmp_path):
    first = LocalModelRegistry(tmp_path)
    stored = model("kept", version(1), version(2, ModelState.FAILED))
    first.create(stored)
    again = LocalModelRegistry(tmp_path).get("kept")
    assert again == stored
    assert again.serving_version == 1 and again.latest.version == 2


def test_create_get_put_delete(tmp_path):
    registry = LocalModelRegistry(tmp_path)
    registry.create(model("a"))
    with pytest.raises(AlreadyExists):
        registry.create(model("a"))
    registry.put_version("a", version(2, ModelState.QUEUED))
    assert [v.state for v in registry.get("a").versions] == [ModelState.READY, ModelState.QUEUED]
    staged = registry.staging_path("a", version(2))
    staged.write_bytes(b"weights")
    registry.store_weights("a", version(2), staged)
    assert registry.weights_path("a", 2).read_bytes() == b"weights" and not staged.exists()
    registry.delete("a")
    assert not (tmp_path / "a").exists()
    for call in (lambda: registry.get("a"), lambda: registry.delete("a")):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(NotFound):
        registry.put_version("a", version(3))  # a late result cannot resurrect a model


def test_list_pages_and_filters(tmp_path):
    registry = LocalModelRegistry(tmp_path)
    for model_id in ("c", "a", "b"):
        registry.create(model(model_id))
    registry.put_version("b", version(2, ModelState.TRAINING))
    models = registry.list()
    assert [m.model_id for m in models] == ["a", "b", "c"]
    first, token = select_page(models, ListQuery(page_size=2))
    assert [m.model_id for m in first] == ["a", "b"] and token
    rest, last = select_page(models, ListQuery(page_size=2, page_token=token))
    assert [m.model_id for m in rest] == ["c"] and last == ""
    training, _ = select_page(models, ListQuery(state=ModelState.TRAINING))
    assert [m.model_id for m in training] == ["b"]
    with pytest.raises(InvalidArgument):  # a token only fits the filters it came with
        select_page(models, ListQuery(page_token=token, state=ModelState.READY))


@pytest_asyncio.fixture
async def manager_parts(tmp_path):
    settings = model_settings(tmp_path / "data")
    return settings, DvcDatasetStore(settings)


async def test_start_fails_runs_a_previous_process_left_behind(manager_parts):
    settings, store = manager_parts
    registry = LocalModelRegistry(settings.models_dir)
    registry.create(model("queued", version(1), version(2, ModelState.QUEUED)))
    registry.create(model("training", version(1, ModelState.TRAINING)))
    manager = ModelManager(settings, store)
    await manager.start()
    try:
        queued = manager.get("queued")
        assert queued.latest.state is ModelState.FAILED and queued.latest.error == RESTARTED
        assert queued.serving_version == 1
        assert manager.get("training").latest.error == RESTARTED
        assert manager.counts() == {"MODEL_STATE_FAILED": 2}
        checks = {name: (state, message) for name, state, message in manager.check()}
        assert checks["model_registry"][0] == "OK"
        assert checks["training_workers"] == ("OK", "0/2 training, 0 queued")
    finally:
        await manager.stop()
    assert ModelManager(settings, store).check()[1][1] == "DOWN"  # workers not started
