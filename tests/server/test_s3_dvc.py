"""Real DVC, configured with `dvc_remote_options`, round-trips a file through moto_server."""

import shutil
import time
from pathlib import Path

import pytest
from dvc.repo import Repo

from server.settings import Settings
from server.storage.s3 import dvc_remote_options, dvc_remote_url, retry_env
from tests.processes import free_port
from tests.s3_server import S3Server

REMOTE = "storage"


def s3_settings(s3: S3Server, **overrides: str) -> Settings:
    return Settings(
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_bucket=s3.bucket,
        **overrides,  # type: ignore[arg-type]
    )


def init_repo(root: Path, options: dict[str, str]) -> None:
    """`dvc init --no-scm`, then `dvc remote add -d` + `dvc remote modify --local` per option."""
    Repo.init(str(root), no_scm=True)
    with Repo(str(root)) as repo:
        with repo.config.edit("repo") as conf:
            conf["core"]["remote"] = REMOTE
            conf["core"]["site_cache_dir"] = str(root / "site-cache")
            conf["core"]["analytics"] = False
            conf["remote"][REMOTE] = {"url": options["url"]}
        with repo.config.edit("local") as conf:  # validated against DVC's S3 schema
            conf["remote"][REMOTE] = dict(options)


def test_options_for_plain_http_minio() -> None:
    settings = Settings(
        s3_endpoint="minio:9000", s3_access_key="k", s3_secret_key="s", s3_bucket="data"
    )
    options = dvc_remote_options(settings)
    assert options["url"] == "s3://data/dvc"
    assert options["endpointurl"] == "http://minio:9000"
    assert (options["access_key_id"], options["secret_access_key"]) == ("k", "s")
    assert "ssl_verify" not in options  # plain HTTP: there is no certificate to verify


def test_an_explicit_s3_remote_wins() -> None:
    settings = Settings(s3_endpoint="minio:9000", dvc_remote="s3://other/datasets/")
    assert dvc_remote_url(settings) == "s3://other/datasets"
    assert dvc_remote_url(Settings(s3_endpoint="minio:9000", dvc_remote="/some/dir")) == (
        "s3://mlservice/dvc"
    )


def test_add_push_drop_cache_pull(s3_server: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root, dvc_remote_options(s3_settings(s3_server)))
    data = root / "data.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    with Repo(str(root)) as repo:
        repo.add(str(data))
        assert repo.push() == 1
    keys = s3_server.keys("dvc/")
    assert len(keys) == 1 and keys[0].startswith("dvc/files/md5/")

    shutil.rmtree(root / ".dvc" / "cache")
    data.unlink()
    with Repo(str(root)) as repo:
        result = repo.pull()
    assert result["stats"]["fetched"] == 1
    assert data.read_text() == "a,b\n1,2\n3,4\n"


def test_push_to_unreachable_storage_fails_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in retry_env().items():
        monkeypatch.setenv(name, value)
    closed = f"127.0.0.1:{free_port()}"
    settings = Settings(s3_endpoint=closed, s3_access_key="k", s3_secret_key="s")
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root, dvc_remote_options(settings))
    (root / "late.csv").write_text("x\n1\n")
    with Repo(str(root)) as repo:
        repo.add(str(root / "late.csv"))
        start = time.monotonic()
        with pytest.raises(Exception, match="Could not connect to the endpoint URL"):
            repo.push()
    assert time.monotonic() - start < 15  # one botocore retry, s3fs's short backoff
