"""A real server killed with SIGKILL mid-training and mid-upload, then stopped with SIGTERM.

One data dir goes through three servers: the first is killed (-9) while a version trains and
an upload is half sent; the second must find nothing stuck or partial, then gets SIGTERM with
a training, an upload and predictions in flight; the third (with a 2 s training time limit)
must find everything consistent again.
"""

import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sklearn.datasets import load_iris

from server.gen import datasets_pb2, datasets_pb2_grpc, models_pb2, models_pb2_grpc
from server.models.manager import RESTARTED, SHUT_DOWN
from server.models.records import ACTIVE_STATES, ModelState
from server.models.registry import LocalModelRegistry
from tests.grpc_helpers import frame_csv, rows, struct, upload, wait_for_compiled
from tests.processes import GrpcServer, grpc_server_process
from tests.reliability.helpers import (
    ACTIVE,
    HeldUpload,
    all_models,
    check_store_consistent,
    local_remote,
    staged_uploads,
    wait_for,
    wait_for_state,
)

MODEL = "models/crash-model"
DATASET = "crash-iris"
READY = models_pb2.MODEL_STATE_READY
FAILED = models_pb2.MODEL_STATE_FAILED
TRAINING = models_pb2.MODEL_STATE_TRAINING
LONG = {"n_estimators": 20000}  # never finishes within these tests
GRACE_KILL_TIMEOUT = 30  # the pod's terminationGracePeriodSeconds
IRIS = load_iris(as_frame=True).frame
SAMPLE = rows(IRIS.drop(columns="target").iloc[::15].values.tolist())


@dataclass
class Servers:
    """The data dir the servers share, and every server started (all stopped at the end)."""

    data_dir: Path
    log_dir: Path
    started: list[GrpcServer] = field(default_factory=list)
    before: models_pb2.PredictResponse | None = None

    def start(self, **env: str) -> GrpcServer:
        env = {"MLSERVICE_METRICS_PORT": "0", **env}
        server = grpc_server_process(self.data_dir, self.log_dir, **env)
        self.started.append(server)
        server.start_and_wait(timeout=180)
        return server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("crash")
    found = Servers(root / "data", root)
    yield found
    for server in found.started:
        server.stop(signal.SIGKILL)


def stub(channel: grpc.Channel) -> models_pb2_grpc.ModelServiceStub:
    return models_pb2_grpc.ModelServiceStub(channel)


def predict(channel: grpc.Channel, version: int = 0) -> models_pb2.PredictResponse:
    return stub(channel).Predict(
        models_pb2.PredictRequest(name=MODEL, version=version, rows=SAMPLE)
    )


def retrain_and_wait_training(channel: grpc.Channel, version: int) -> None:
    request = models_pb2.RetrainModelRequest(name=MODEL, hyperparameters=struct(LONG))
    assert stub(channel).RetrainModel(request).version == version
    wait_for_state(channel, MODEL, version, (TRAINING,))


def hold_upload(channel: grpc.Channel, data_dir: Path) -> HeldUpload:
    """An upload of a new version, started and seen arriving in the staging area."""
    before = staged_uploads(data_dir)
    held = HeldUpload(channel, DATASET, frame_csv(IRIS.iloc[:120])).start()
    wait_for(lambda: staged_uploads(data_dir) - before, 60, "the upload reaching the server")
    return held


@pytest.fixture(scope="module")
def killed(servers: Servers) -> Servers:
    """A model v1 READY, v2 training, two dataset versions and a third half sent: kill -9."""
    server = servers.start()
    with grpc.insecure_channel(server.target) as channel:
        upload(channel, DATASET, frame_csv(IRIS))
        upload(channel, DATASET, frame_csv(IRIS.iloc[:140]))
        stub(channel).TrainModel(
            models_pb2.TrainModelRequest(
                model_id=MODEL.removeprefix("models/"),
                model_class="RandomForestClassifier",
                hyperparameters=struct({"n_estimators": 5}),
                dataset=f"datasets/{DATASET}",
                target_column="target",
            )
        )
        assert wait_for_state(channel, MODEL, 1, (READY, FAILED)).state == READY
        wait_for_compiled(channel, MODEL, 1)  # the answers compared below come from its engine
        servers.before = predict(channel)
        retrain_and_wait_training(channel, 2)
        held = hold_upload(channel, servers.data_dir)
        server.stop(signal.SIGKILL)
        held.abort()
    assert isinstance(held.result, grpc.RpcError)
    return servers


@pytest.fixture(scope="module")
def restarted(killed: Servers) -> GrpcServer:
    return killed.start()


def test_kill_during_training_leaves_no_model_stuck(restarted: GrpcServer) -> None:
    with grpc.insecure_channel(restarted.target) as channel:
        models = all_models(channel)
        assert [v.state for m in models for v in m.versions if v.state in ACTIVE] == []
        model = stub(channel).GetModel(models_pb2.GetModelRequest(name=MODEL))
    assert [v.state for v in model.versions] == [READY, FAILED]
    assert model.error == RESTARTED
    assert model.serving_version == 1


def test_kill_keeps_the_previous_version_serving(killed: Servers, restarted: GrpcServer) -> None:
    with grpc.insecure_channel(restarted.target) as channel:
        assert predict(channel) == killed.before
        assert predict(channel, version=1) == killed.before


def test_kill_during_upload_leaves_no_partial_version(
    killed: Servers, restarted: GrpcServer
) -> None:
    with grpc.insecure_channel(restarted.target) as channel:
        dataset = datasets_pb2_grpc.DatasetServiceStub(channel).GetDataset(
            datasets_pb2.GetDatasetRequest(name=f"datasets/{DATASET}")
        )
        assert [v.row_count for v in dataset.versions] == [150, 140]
        versions = check_store_consistent(channel, killed.data_dir, local_remote(killed.data_dir))
    assert set(versions) == {(DATASET, 1), (DATASET, 2)}


@dataclass
class PredictionLoop:
    """Predictions sent one after another from 4 threads until `stop()`; outcomes recorded."""

    target: str
    outcomes: list[object] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def _run(self) -> None:
        with grpc.insecure_channel(self.target) as channel:
            for _ in range(5000):
                if self.done.is_set():
                    return
                try:
                    self.outcomes.append(predict(channel))
                except grpc.RpcError as error:
                    self.outcomes.append(error.code())
                    if error.code() == grpc.StatusCode.UNAVAILABLE:
                        return

    def start(self) -> "PredictionLoop":
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(4)]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> list[object]:
        self.done.set()
        for thread in self.threads:
            thread.join(60)
        return self.outcomes


@dataclass
class Terminated:
    """What SIGTERM left: exit status, the in-flight calls' outcomes, the stored training."""

    returncode: int | None
    upload: object
    predictions: list[object]
    versions: list[tuple[ModelState, str]]


@pytest.fixture(scope="module")
def terminated(killed: Servers, restarted: GrpcServer) -> Terminated:
    """SIGTERM while v3 trains, an upload is half sent and predictions keep coming."""
    with grpc.insecure_channel(restarted.target) as channel:
        retrain_and_wait_training(channel, 3)
        held = hold_upload(channel, killed.data_dir)
        loop = PredictionLoop(restarted.target).start()
        wait_for(lambda: len(loop.outcomes) >= 8, 120, "predictions answered")
        assert restarted.popen is not None
        restarted.popen.send_signal(signal.SIGTERM)
        wait_for(lambda: _not_serving(channel), 60, "the server leaving SERVING")
        result = held.finish()
        try:
            returncode: int | None = restarted.popen.wait(GRACE_KILL_TIMEOUT)
        except Exception:
            returncode = None
        outcomes = loop.stop()
    registry = LocalModelRegistry(killed.data_dir / "models")
    versions = [(v.state, v.error) for v in registry.get(MODEL.removeprefix("models/")).versions]
    return Terminated(returncode, result, outcomes, versions)


def _not_serving(channel: grpc.Channel) -> bool:
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    except grpc.RpcError:
        return True
    return reply.status != health_pb2.HealthCheckResponse.SERVING


def test_sigterm_exits_cleanly_within_the_grace_period(terminated: Terminated) -> None:
    assert terminated.returncode == 0


def test_sigterm_finishes_in_flight_calls(killed: Servers, terminated: Terminated) -> None:
    assert isinstance(terminated.upload, datasets_pb2.DatasetVersion), terminated.upload
    assert (terminated.upload.version, terminated.upload.row_count) == (3, 120)
    answered = [o for o in terminated.predictions if isinstance(o, models_pb2.PredictResponse)]
    assert answered and all(a == killed.before for a in answered)
    # Calls that reach the server after it began to stop are refused without being run:
    # UNAVAILABLE once the connection is closed, CANCELLED (grpc's own answer to calls it
    # has received but not yet handed to the service) just before. Calls the service had
    # started all finish: grpc cancels those only when the grace period runs out, and the
    # server exits long before (the upload above was in flight throughout).
    refused = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED]
    others = [o for o in terminated.predictions if o not in answered and o not in refused]
    assert others == []


def test_sigterm_fails_the_training_in_flight_with_a_reason(terminated: Terminated) -> None:
    assert [s for s, _ in terminated.versions if s in ACTIVE_STATES] == []
    assert terminated.versions[-1] == (ModelState.FAILED, SHUT_DOWN)
    assert terminated.versions[0][0] is ModelState.READY


@pytest.fixture(scope="module")
def after_shutdown(killed: Servers, terminated: Terminated) -> GrpcServer:
    return killed.start(MLSERVICE_TRAINING_TIMEOUT_S="2")


def test_everything_survives_the_shutdown(killed: Servers, after_shutdown: GrpcServer) -> None:
    with grpc.insecure_channel(after_shutdown.target) as channel:
        assert predict(channel) == killed.before
        versions = check_store_consistent(channel, killed.data_dir, local_remote(killed.data_dir))
        assert sorted(versions) == [(DATASET, 1), (DATASET, 2), (DATASET, 3)]
        model = stub(channel).GetModel(models_pb2.GetModelRequest(name=MODEL))
    assert [v.state for v in model.versions] == [READY, FAILED, FAILED]


def test_training_time_limit_fails_the_version(killed: Servers, after_shutdown: GrpcServer) -> None:
    with grpc.insecure_channel(after_shutdown.target) as channel:
        request = models_pb2.RetrainModelRequest(name=MODEL, hyperparameters=struct(LONG))
        assert stub(channel).RetrainModel(request).version == 4
        model = wait_for_state(channel, MODEL, 4, (READY, FAILED), timeout=120)
        assert model.versions[3].state == FAILED
        assert model.versions[3].error == "training exceeded 2 s"
        assert model.serving_version == 1
        assert predict(channel) == killed.before
