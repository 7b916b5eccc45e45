"""The written clearml.conf, loaded by ClearML's own config loader and used by its S3 driver."""

import os
import stat
from pathlib import Path

import clearml.config
import pytest
from clearml.backend_api import load_config
from clearml.backend_config.bucket_config import S3BucketConfigurations
from clearml.backend_config.config import Config

from server.clearml.config import config_path, output_uri, worker_env, write_config
from server.settings import Settings
from tests.s3_server import S3Server
from tests.server.sdk_scripts import run_script


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "s3_endpoint": "minio:9000",
        "s3_access_key": "minio-key",
        "s3_secret_key": 'se"cret\\key',
        "s3_bucket": "mlservice",
        "clearml_api_host": "http://clearml:8008/",
        "clearml_api_access_key": "api-key",
        "clearml_api_secret_key": "api-secret",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def load_with_clearml(path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """What the SDK itself loads: its packaged defaults, then the file of CLEARML_CONFIG_FILE."""
    monkeypatch.setenv("CLEARML_CONFIG_FILE", str(path))
    return load_config(Path(clearml.config.__file__).parent)


def test_the_sdk_reads_our_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(make_settings(tmp_path))
    assert path == config_path(make_settings(tmp_path)) == tmp_path / "clearml" / "clearml.conf"
    config = load_with_clearml(path, monkeypatch)
    assert config.get("api.api_server") == "http://clearml:8008"
    assert config.get("api.credentials.access_key") == "api-key"
    assert config.get("api.credentials.secret_key") == "api-secret"
    assert config.get("api.http.retries.total") == 2
    assert config.get("api.http.wait_on_maintenance_forever") is False
    assert config.get("sdk.development.default_output_uri") == "s3://minio:9000/mlservice/clearml"
    assert config.get("sdk.development.report_use_subprocess") is False
    assert config.get("sdk.storage.cache.default_base_dir") == str(tmp_path / "clearml" / "cache")


def test_s3_credentials_match_the_output_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    config = load_with_clearml(write_config(settings), monkeypatch)
    buckets = S3BucketConfigurations.from_config(config.get("sdk.aws.s3"))
    uri = output_uri(settings)
    assert isinstance(uri, str)
    match = buckets.get_config_by_uri(f"{uri}/some-task/models/weights.skops")
    assert (match.host, match.key, match.secret) == ("minio:9000", "minio-key", 'se"cret\\key')
    assert match.secure is False
    assert match.multipart is False


def test_secure_s3_and_no_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secure = load_with_clearml(write_config(make_settings(tmp_path, s3_secure=True)), monkeypatch)
    assert secure.get("sdk.aws.s3.credentials")[0]["secure"] is True
    no_s3 = make_settings(tmp_path / "other", s3_endpoint="")
    assert output_uri(no_s3) is True  # ClearML's own file server
    config = load_with_clearml(write_config(no_s3), monkeypatch)
    assert config.get("sdk.aws.s3.credentials") == []
    assert config.get("sdk.development.default_output_uri") == ""


def test_file_is_private_and_rewritten(tmp_path: Path) -> None:
    path = write_config(make_settings(tmp_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    write_config(make_settings(tmp_path, clearml_api_access_key="rotated"))
    assert "rotated" in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["clearml.conf"]
    assert worker_env(make_settings(tmp_path)) == {"CLEARML_CONFIG_FILE": str(path)}


UPLOAD_AND_DOWNLOAD = """
import json, sys
from clearml import StorageManager
local, remote = sys.argv[1], sys.argv[2]
uploaded = StorageManager.upload_file(local_file=local, remote_url=remote, wait_for_upload=True)
copy = StorageManager.get_local_copy(remote_url=remote, force_download=True)
print(json.dumps({"uploaded": uploaded, "copy": copy}))
"""


def test_clearml_s3_driver_uses_the_config(s3_server: S3Server, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **_s3_overrides(s3_server))
    weights = tmp_path / "weights.skops"
    weights.write_bytes(b"not really a model")
    remote = f"{output_uri(settings)}/probe/weights.skops"
    env = {**worker_env(settings), "CLEARML_OFFLINE_MODE": "1"}
    write_config(settings)
    result = run_script(UPLOAD_AND_DOWNLOAD, [str(weights), remote], env)
    assert result["uploaded"] == remote
    assert Path(result["copy"]).read_bytes() == b"not really a model"
    assert Path(result["copy"]).is_relative_to(tmp_path / "clearml" / "cache")
    assert "clearml/probe/weights.skops" in s3_server.keys("clearml/")


def _s3_overrides(s3: S3Server) -> dict[str, object]:
    return {
        "s3_endpoint": s3.endpoint,
        "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key,
        "s3_bucket": s3.bucket,
    }


def _clean_env() -> dict[str, str]:
    """The environment without any ClearML or AWS settings of the machine running the tests."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CLEARML_", "AWS_"))}
