"""A real S3 API for tests: `moto_server` on a free loopback port, with one bucket.

moto keeps its objects in memory, so a plain restart would come back empty. To make outage
tests meaningful (data written before the outage is still there after it, as with MinIO),
`stop()` saves every bucket and object first and `start()` puts them back. `pause()` and
`resume()` (SIGSTOP/SIGCONT) simulate a server that accepts connections but never answers.
"""

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.processes import Process, free_port, wait_until

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
BUCKET = "mlservice-test"


@dataclass
class S3Server:
    """moto_server on 127.0.0.1:<port> (same port across restarts) holding `bucket`."""

    log_dir: Path
    port: int = field(default_factory=free_port)
    bucket: str = BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    process: Process | None = None
    saved: dict[str, dict[str, bytes]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """`host:port`, the form `MLSERVICE_S3_ENDPOINT` takes."""
        return f"127.0.0.1:{self.port}"

    @property
    def endpoint_url(self) -> str:
        """The endpoint as a URL."""
        return f"http://{self.endpoint}"

    def env(self) -> dict[str, str]:
        """The `MLSERVICE_S3_*` variables pointing a server at this storage."""
        return {
            "MLSERVICE_S3_ENDPOINT": self.endpoint,
            "MLSERVICE_S3_ACCESS_KEY": self.access_key,
            "MLSERVICE_S3_SECRET_KEY": self.secret_key,
            "MLSERVICE_S3_BUCKET": self.bucket,
            "MLSERVICE_S3_SECURE": "false",
        }

    def client(self) -> Any:
        """A boto3 client for checking what is stored (short timeouts, no retries)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 1}),
        )

    def keys(self, prefix: str = "", bucket: str | None = None) -> list[str]:
        """Every object key under `prefix`, sorted."""
        pages = self.client().get_paginator("list_objects_v2")
        found = pages.paginate(Bucket=bucket or self.bucket, Prefix=prefix)
        return sorted(o["Key"] for page in found for o in page.get("Contents", []))

    def start(self, timeout: float = 30) -> None:
        """Start moto on the fixed port, wait until it answers, restore saved data."""
        self.process = Process(
            args=[sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=dict(os.environ),
            log_path=self.log_dir / f"moto-{self.port}.log",
        )
        self.process.start()
        wait_until(self._answers, timeout, "moto_server")
        self._restore()

    def stop(self, save: bool = True) -> None:
        """Save every object (unless told not to), then stop: clients get connection refused."""
        if self.process is None or not self.process.alive():
            return
        self.resume()
        if save:
            self.saved = self._snapshot()
        self.process.stop()

    def pause(self) -> None:
        """Freeze the server: connections are accepted but never answered."""
        assert self.process is not None and self.process.popen is not None
        self.process.popen.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `pause()`."""
        assert self.process is not None and self.process.popen is not None
        self.process.popen.send_signal(signal.SIGCONT)

    @contextmanager
    def outage(self) -> Iterator[None]:
        """Stopped inside the block, running again (with its data) afterwards."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def _answers(self) -> bool:
        if self.process is None or not self.process.alive():
            raise RuntimeError(f"moto_server exited:\n{self.log()}")
        try:
            self.client().list_buckets()
        except Exception:
            return False
        return True

    def log(self) -> str:
        """The server's output so far."""
        return self.process.log()[-4000:] if self.process else ""

    def _snapshot(self) -> dict[str, dict[str, bytes]]:
        client = self.client()
        saved: dict[str, dict[str, bytes]] = {}
        for bucket in client.list_buckets()["Buckets"]:
            name = bucket["Name"]
            saved[name] = {
                key: client.get_object(Bucket=name, Key=key)["Body"].read()
                for key in self.keys(bucket=name)
            }
        return saved

    def _restore(self) -> None:
        client = self.client()
        for name, objects in (self.saved or {self.bucket: {}}).items():
            client.create_bucket(Bucket=name)
            for key, body in objects.items():
                client.put_object(Bucket=name, Key=key, Body=body)
