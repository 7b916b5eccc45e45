"""Concurrency on the shared server: predictions during a swap, racing uploads, a full queue."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
from sklearn.datasets import load_iris

from server.gen import models_pb2, models_pb2_grpc
from tests.grpc_helpers import frame_csv, rows, struct, upload, wait_for_compiled
from tests.reliability.conftest import Service, train
from tests.reliability.helpers import (
    AUTH,
    all_models,
    check_store_consistent,
    md5_of,
    wait_for,
    wait_for_state,
)

READY = models_pb2.MODEL_STATE_READY
FAILED = models_pb2.MODEL_STATE_FAILED
TRAINING = models_pb2.MODEL_STATE_TRAINING
IRIS = load_iris(as_frame=True).frame
SAMPLE = rows(IRIS.drop(columns="target").iloc[::10].values.tolist())
CONCURRENT_PREDICTIONS = 200
MAX_WAVES = 100


def answer_key(reply: models_pb2.PredictResponse) -> tuple[object, ...]:
    """What a prediction says, version and engine aside: labels and every probability."""
    return (
        tuple(p.number_value for p in reply.predictions),
        tuple(tuple(p.values) for p in reply.probabilities),
    )


def answers_by_engine(
    stub: models_pb2_grpc.ModelServiceStub, name: str, model: models_pb2.Model
) -> dict[tuple[int, str], tuple[object, ...]]:
    """Each READY version's answer from each engine it has, pinned: (version, engine) -> key.

    A version serves with scikit-learn until it is compiled, then with ONNX, whose float32
    probabilities differ from scikit-learn's in the last digits.
    """
    known = {}
    for version in model.versions:
        for engine in ("sklearn", "onnx") if version.engine == "onnx" else ("sklearn",):
            request = models_pb2.PredictRequest(
                name=name, version=version.version, rows=SAMPLE, engine=engine
            )
            known[(version.version, engine)] = answer_key(stub.Predict(request))
    return known


async def _wave(stub: models_pb2_grpc.ModelServiceStub, name: str) -> list[object]:
    """200 predictions at once; each outcome is the response or the status code."""

    async def one() -> object:
        try:
            return await stub.Predict(
                models_pb2.PredictRequest(name=name, rows=SAMPLE), metadata=AUTH, timeout=120
            )
        except grpc.aio.AioRpcError as error:
            return error.code()

    return list(await asyncio.gather(*(one() for _ in range(CONCURRENT_PREDICTIONS))))


async def _predict_through_swap(target: str, name: str) -> list[list[object]]:
    """Waves of 200 concurrent predictions until one is answered by version 2 throughout."""
    waves: list[list[object]] = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = models_pb2_grpc.ModelServiceStub(channel)
        for _ in range(MAX_WAVES):
            waves.append(await _wave(stub, name))
            versions = {getattr(o, "model_version", None) for o in waves[-1]}
            model = await stub.GetModel(models_pb2.GetModelRequest(name=name), metadata=AUTH)
            if versions == {2} or model.versions[-1].state == FAILED:
                break
    return waves


def test_predictions_during_retrain_and_swap_never_fail(service: Service) -> None:
    name = "models/rel-swap"
    train(service.channel, name.removeprefix("models/"), n_estimators=3, max_depth=1)
    assert wait_for_state(service.channel, name, 1, (READY, FAILED)).state == READY
    stub = models_pb2_grpc.ModelServiceStub(service.channel)
    retrain = models_pb2.RetrainModelRequest(
        name=name, hyperparameters=struct({"n_estimators": 60, "max_depth": 4}), random_state=3
    )
    assert stub.RetrainModel(retrain).version == 2

    waves = asyncio.run(_predict_through_swap(service.target, name))

    model = wait_for_state(service.channel, name, 2, (READY, FAILED))
    assert model.versions[1].state == READY, model.versions[1].error
    wait_for_compiled(service.channel, name, 1)
    known = answers_by_engine(stub, name, wait_for_compiled(service.channel, name, 2))
    assert known[(1, "sklearn")] != known[(2, "sklearn")]
    outcomes = [o for wave in waves for o in wave]
    failed = [o for o in outcomes if not isinstance(o, models_pb2.PredictResponse)]
    assert failed == []
    assert {o.model_version for o in outcomes} == {1, 2}, "the swap happened outside the waves"
    assert all(answer_key(o) == known[(o.model_version, o.engine)] for o in outcomes)


def test_concurrent_uploads_of_one_name_get_distinct_versions(service: Service) -> None:
    dataset_id = "rel-racing"
    files = [frame_csv(IRIS.iloc[: 100 + i]) for i in range(8)]
    start = threading.Barrier(len(files))

    def send(data: bytes) -> object:
        start.wait(30)
        return upload(service.channel, dataset_id, data)

    with ThreadPoolExecutor(len(files)) as pool:
        stored = list(pool.map(send, files))

    assert sorted(v.version for v in stored) == list(range(1, len(files) + 1))
    assert [v.md5 for v in stored] == [md5_of(data) for data in files]
    versions = check_store_consistent(service.channel, service.data_dir, service.remote_object)
    ours = {key[1]: v for key, v in versions.items() if key[0] == dataset_id}
    assert {v: ours[v].md5 for v in ours} == {v.version: v.md5 for v in stored}


def test_more_trainings_than_workers_queue_and_all_finish(service: Service) -> None:
    names = [f"models/rel-queue-{i}" for i in range(3)]
    for name in names:
        train(service.channel, name.removeprefix("models/"), n_estimators=20)
    most_training = 0

    def all_done() -> bool:
        nonlocal most_training
        states = {m.name: m.state for m in all_models(service.channel) if m.name in names}
        most_training = max(most_training, sum(s == TRAINING for s in states.values()))
        return all(s in (READY, FAILED) for s in states.values())

    wait_for(all_done, 300, "the three trainings")
    assert most_training <= 1  # MLSERVICE_TRAINING_WORKERS=1
    for name in names:
        model = models_pb2_grpc.ModelServiceStub(service.channel).GetModel(
            models_pb2.GetModelRequest(name=name)
        )
        assert (model.state, model.error) == (READY, "")
