"""The S3 adapter against a real S3 API (moto_server): config, status check, bucket, outages."""

import time

import pytest

from server.errors import Unavailable
from server.settings import Settings
from server.storage.s3 import S3Config, check_s3, ensure_bucket, make_client
from tests.processes import free_port
from tests.s3_server import S3Server


def settings_for(s3: S3Server, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "s3_endpoint": s3.endpoint,
        "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key,
        "s3_bucket": s3.bucket,
        "s3_secure": False,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_config_from_settings() -> None:
    config = S3Config.from_settings(Settings(s3_endpoint="minio:9000", s3_bucket="b"))
    assert config.endpoint_url == "http://minio:9000"
    assert config.bucket == "b"
    secure = S3Config.from_settings(Settings(s3_endpoint="s3.example.org:443", s3_secure=True))
    assert secure.endpoint_url == "https://s3.example.org:443"


@pytest.mark.parametrize("endpoint", ["minio", "http://minio:9000", "minio:port", ":9000"])
def test_endpoint_must_be_host_and_port(endpoint: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        S3Config.from_settings(Settings(s3_endpoint=endpoint))
    state, message = check_s3(Settings(s3_endpoint=endpoint))
    assert state == "DOWN" and "host:port" in message


def test_check_without_s3_is_ok() -> None:
    state, message = check_s3(Settings(s3_endpoint=""))
    assert (state, message) == ("OK", "not configured (MLSERVICE_S3_ENDPOINT is empty)")


def test_check_reachable_bucket(s3_server: S3Server) -> None:
    state, message = check_s3(settings_for(s3_server))
    assert state == "OK", message
    assert s3_server.bucket in message


def test_check_missing_bucket(s3_server: S3Server) -> None:
    state, message = check_s3(settings_for(s3_server, s3_bucket="no-such-bucket"))
    assert state == "DOWN"
    assert "does not exist" in message


def test_check_closed_port_is_down_within_seconds() -> None:
    start = time.monotonic()
    state, message = check_s3(Settings(s3_endpoint=f"127.0.0.1:{free_port()}"))
    assert state == "DOWN"
    assert "cannot reach" in message
    assert time.monotonic() - start < 5


def test_ensure_bucket_creates_once(s3_server: S3Server) -> None:
    config = S3Config.from_settings(settings_for(s3_server, s3_bucket="made-by-ensure"))
    assert ensure_bucket(config) is True
    assert ensure_bucket(config) is False
    assert "made-by-ensure" in [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]


def test_ensure_bucket_unreachable_is_unavailable() -> None:
    config = S3Config(f"127.0.0.1:{free_port()}", "k", "s", "bucket")
    start = time.monotonic()
    with pytest.raises(Unavailable, match="cannot reach S3"):
        ensure_bucket(config)
    assert time.monotonic() - start < 5


def test_outage_and_recovery_keep_the_data(s3_server: S3Server) -> None:
    settings = settings_for(s3_server)
    client = make_client(S3Config.from_settings(settings))
    client.put_object(Bucket=s3_server.bucket, Key="outage/kept.txt", Body=b"still here")
    with s3_server.outage():
        start = time.monotonic()
        state, message = check_s3(settings)
        assert state == "DOWN", message
        assert time.monotonic() - start < 5
    assert check_s3(settings)[0] == "OK"
    body = client.get_object(Bucket=s3_server.bucket, Key="outage/kept.txt")["Body"].read()
    assert body == b"still here"


def test_hung_server_is_bounded(s3_server: S3Server) -> None:
    settings = settings_for(s3_server)
    s3_server.pause()
    try:
        start = time.monotonic()
        state, message = check_s3(settings)
        elapsed = time.monotonic() - start
    finally:
        s3_server.resume()
    assert state == "DOWN", message
    assert elapsed < 8  # two attempts of a 2 s read timeout, plus one short backoff
    assert check_s3(settings)[0] == "OK"
