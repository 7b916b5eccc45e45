"""The ClearML model side without a server: the weights cache, time bounds, error mapping.

Publishing and downloading need a ClearML server (the SDK's offline mode cannot create output
models); tests/clearml_integration covers them against a real one. The storage half of the
ONNX file (upload beside the weights, download, delete) runs against a real S3 API here.
"""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from server.clearml import cache
from server.clearml.bounded import bounded, ping
from server.clearml.config import worker_env, write_config
from server.clearml.models import beside, load_onnx, load_weights
from server.errors import Unavailable
from server.settings import Settings
from tests.processes import free_port
from tests.s3_server import S3Server
from tests.server.sdk_scripts import run_script


def test_cached_weights_are_returned_without_clearml(tmp_path: Path) -> None:
    placed = tmp_path / "cache" / "4f1c2a" / "weights.skops"
    placed.parent.mkdir(parents=True)
    placed.write_bytes(b"weights")
    (placed.parent / "half-written.partial").write_bytes(b"")
    # No ClearML is configured here: any SDK call would raise Unavailable.
    assert load_weights("4f1c2a", tmp_path / "cache") == placed
    assert load_weights("4f1c2a", tmp_path / "cache") == placed


def test_store_find_evict(tmp_path: Path) -> None:
    downloaded = tmp_path / "download" / "model.skops"
    downloaded.parent.mkdir()
    downloaded.write_bytes(b"abc")
    stored = cache.store_weights(tmp_path / "cache", "m1", downloaded)
    assert stored == tmp_path / "cache" / "m1" / "model.skops"
    assert stored.read_bytes() == b"abc" and downloaded.exists()
    assert cache.cached_weights(tmp_path / "cache", "m1") == stored
    assert cache.cached_weights(tmp_path / "cache", "m2") is None
    cache.evict(tmp_path / "cache", "m1")
    assert cache.cached_weights(tmp_path / "cache", "m1") is None


def test_the_onnx_file_is_cached_beside_the_weights_and_evicted_with_them(tmp_path: Path) -> None:
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "model.skops").write_bytes(b"weights")
    (folder / "model.onnx").write_bytes(b"onnx")
    weights = cache.store_weights(tmp_path / "cache", "m1", folder / "model.skops")
    assert cache.cached_compiled(tmp_path / "cache", "m1") is None
    compiled = cache.store_compiled(tmp_path / "cache", "m1", folder / "model.onnx")
    assert compiled == tmp_path / "cache" / "m1" / "onnx" / "model.onnx"
    assert cache.cached_weights(tmp_path / "cache", "m1") == weights  # not the ONNX file
    assert cache.cached_compiled(tmp_path / "cache", "m1") == compiled
    # No ClearML is configured here: any SDK call would raise Unavailable.
    assert load_onnx("m1", tmp_path / "cache") == compiled
    cache.evict(tmp_path / "cache", "m1")
    assert cache.cached_weights(tmp_path / "cache", "m1") is None
    assert cache.cached_compiled(tmp_path / "cache", "m1") is None


def test_the_onnx_file_goes_beside_the_weights() -> None:
    s3 = "s3://minio:9000/mlservice/clearml/proj/m v1.abc/models/m-v1-r1.skops"
    assert beside(s3, "m-v1-r1.onnx") == (
        "s3://minio:9000/mlservice/clearml/proj/m v1.abc/models/m-v1-r1.onnx"
    )
    served = "http://files:8081/proj/m%20v1.abc/models/m-v1-r1.skops"  # quoted by ClearML
    assert beside(served, "m.onnx") == "http://files:8081/proj/m v1.abc/models/m.onnx"
    for local in ("file:///data/m.skops", "/data/m.skops"):
        with pytest.raises(Unavailable, match="not in remote storage"):
            beside(local, "m.onnx")


ONNX_STORAGE = """
import json, sys
from pathlib import Path
from clearml import StorageManager
from server.clearml.models import delete_stored_file, upload_beside
local, weights_url = Path(sys.argv[1]), sys.argv[2]
url = upload_beside(weights_url, local)
copy = StorageManager.get_local_copy(url, extract_archive=False, force_download=True)
uploaded = Path(copy).read_text()
delete_stored_file(url)
delete_stored_file(url)  # already gone: fine
print(json.dumps({"url": url, "uploaded": uploaded, "exists": StorageManager.exists_file(url)}))
"""


def test_the_onnx_file_is_uploaded_beside_the_weights_and_deleted(
    s3_server: S3Server, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        clearml_api_host="http://127.0.0.1:9",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_bucket=s3_server.bucket,
    )
    write_config(settings)
    folder = f"clearml/proj-{uuid.uuid4().hex[:8]}/m v1.abc/models"  # the bucket is shared
    s3_server.client().put_object(Bucket=s3_server.bucket, Key=f"{folder}/m-v1.skops", Body=b"w")
    weights_url = f"s3://{s3_server.endpoint}/{s3_server.bucket}/{folder}/m-v1.skops"
    onnx = tmp_path / "m-v1-r1.onnx"
    onnx.write_text("compiled")
    env = {**worker_env(settings), "CLEARML_OFFLINE_MODE": "1"}  # storage only: no API server
    result = run_script(ONNX_STORAGE, [str(onnx), weights_url], env)
    assert result["url"] == weights_url.replace("m-v1.skops", "m-v1-r1.onnx")
    assert result["uploaded"] == "compiled"
    assert result["exists"] is False
    assert s3_server.keys(folder) == [f"{folder}/m-v1.skops"]  # the weights stay


@pytest.mark.parametrize("bad", ["../x", "..", "a/b", "", ".hidden"])
def test_model_ids_cannot_escape_the_cache(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="not a ClearML model id"):
        cache.cached_weights(tmp_path, bad)


def test_ping_closed_port_is_unavailable() -> None:
    start = time.monotonic()
    with pytest.raises(Unavailable, match="unreachable"):
        ping(f"http://127.0.0.1:{free_port()}")
    assert time.monotonic() - start < 2


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_ping_silent_server_is_bounded(silent_server: str) -> None:
    start = time.monotonic()
    with pytest.raises(Unavailable, match="unreachable"):
        ping(silent_server, timeout=0.5)
    assert time.monotonic() - start < 2


@pytest.fixture
def answering_server() -> Iterator[str]:
    """An HTTP server: 200 on /debug.ping, 404 elsewhere (like ClearML's API server)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/debug.ping" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_ping_answering_server(answering_server: str) -> None:
    ping(answering_server)
    ping(answering_server + "/")
    ping(answering_server + "/v2.23")  # any HTTP answer means the server is up


def test_ping_without_host() -> None:
    with pytest.raises(Unavailable, match="not configured"):
        ping("")


def test_bounded_deadline() -> None:
    start = time.monotonic()
    with pytest.raises(Unavailable, match=r"did not answer within 0\.3 s"):
        bounded(lambda: time.sleep(5), "a slow call", timeout=0.3)
    assert time.monotonic() - start < 1


def test_bounded_maps_connection_errors_only() -> None:
    def refused() -> None:
        raise requests.exceptions.ConnectionError("Connection refused")

    with pytest.raises(Unavailable, match="Connection refused"):
        bounded(refused, "a call")
    with pytest.raises(KeyError):
        bounded(lambda: {}["missing"], "a call")
    assert bounded(lambda: 42, "a call") == 42


OUTAGE = """
import json, sys, time
from pathlib import Path
import clearml  # imported up front, as the server does: the timings below exclude it
from server.clearml.bounded import bounded, check_clearml
from server.clearml.models import attach_onnx, delete_models, load_onnx, load_weights, model_exists
from server.clearml.tracking import DatasetInfo, fail_task, start_task
from server.errors import Unavailable

results = {}
def attempt(name, call):
    start = time.monotonic()
    try:
        call()
        outcome = "no error"
    except Unavailable as error:
        outcome = f"Unavailable: {error}"
    except Exception as error:
        outcome = f"{type(error).__name__}: {error}"
    results[name] = [outcome, time.monotonic() - start]

attempt("model_exists", lambda: model_exists("abc"))
attempt("load_weights", lambda: load_weights("abc", Path(sys.argv[1])))
attempt("delete_models", lambda: delete_models(["abc"], ["t1"]))
attempt("attach_onnx", lambda: attach_onnx("abc", Path(sys.argv[1]) / "m.onnx"))
attempt("load_onnx", lambda: load_onnx("abc", Path(sys.argv[1])))
attempt("start_task", lambda: start_task("p", "m", 1, "Ridge", {}, DatasetInfo("d", 1, "")))
attempt("fail_task", lambda: fail_task("t1", "killed"))
state, message = check_clearml()
results["check_clearml"] = [f"{state}: {message}", 0.0]

def sdk_call():
    from clearml import Model
    return Model("abc").url

attempt("sdk_without_ping", lambda: bounded(sdk_call, "raw SDK call"))
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def outage_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("clearml-down") / "data"
    settings = Settings(
        data_dir=data_dir,
        clearml_api_host=f"http://127.0.0.1:{free_port()}",
        clearml_api_access_key="key",
        clearml_api_secret_key="secret",
    )
    write_config(settings)
    env = {**worker_env(settings), "CLEARML_API_HOST": settings.clearml_api_host}
    results: dict[str, Any] = run_script(OUTAGE, [str(data_dir / "weights-cache")], env)
    return results


CALLS = [
    "model_exists",
    "load_weights",
    "delete_models",
    "attach_onnx",
    "load_onnx",
    "start_task",
    "fail_task",
]


@pytest.mark.parametrize("call", [*CALLS, "sdk_without_ping"])
def test_clearml_down_is_unavailable_within_seconds(
    outage_results: dict[str, Any], call: str
) -> None:
    outcome, elapsed = outage_results[call]
    assert outcome.startswith("Unavailable: "), outcome
    assert "127.0.0.1" in outcome
    assert elapsed < 8, f"{call} took {elapsed:.1f} s"


def test_status_check_says_down(outage_results: dict[str, Any]) -> None:
    outcome, _ = outage_results["check_clearml"]
    assert outcome.startswith("DOWN: ClearML server http://127.0.0.1:")
