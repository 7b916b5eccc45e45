"""Multipart uploads: field order, malformed forms, and streaming in bounded memory."""

import io
from collections.abc import Callable

import httpx

from tests.processes import GrpcServer
from tests.rest.conftest import RestProxy, unique
from tests.rest.helpers import assert_status_body, violations

MIB = 1024 * 1024
UPLOAD = "/v1/datasets:upload"


class Filler(io.RawIOBase):
    """A read-only stream of `size` bytes that never exists in memory as a whole."""

    def __init__(self, size: int, byte: bytes = b"x") -> None:
        self.remaining = size
        self.block = byte * MIB

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = min(self.remaining, MIB if size < 0 else size)
        self.remaining -= size
        return self.block[:size]


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "b0undary") -> bytes:
    """A multipart body with the parts in the given order (name, content, filename)."""
    body = b""
    for name, content, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def post_multipart(api: httpx.Client, body: bytes) -> httpx.Response:
    headers = {"content-type": "multipart/form-data; boundary=b0undary"}
    return api.post(UPLOAD, content=body, headers=headers)


def test_field_after_the_file_is_rejected(api: httpx.Client, iris_csv: bytes) -> None:
    dataset_id = unique("rest-order")
    parts = [
        ("datasetId", dataset_id.encode(), None),
        ("file", iris_csv, "iris.csv"),
        ("format", b"DATA_FORMAT_CSV", None),
    ]
    body = assert_status_body(post_multipart(api, multipart(parts)), 400, 3)
    assert "format" in violations(body)
    assert api.get(f"/v1/datasets/{dataset_id}").status_code == 404


def test_missing_file_and_unknown_field_are_rejected(api: httpx.Client) -> None:
    no_file = [("datasetId", b"x", None), ("format", b"DATA_FORMAT_CSV", None)]
    assert "file" in violations(assert_status_body(post_multipart(api, multipart(no_file)), 400, 3))
    unknown = [("colour", b"red", None), ("file", b"a\n1\n", "a.csv")]
    assert "colour" in violations(
        assert_status_body(post_multipart(api, multipart(unknown)), 400, 3)
    )


def test_invalid_metadata_comes_back_from_the_server(api: httpx.Client, iris_csv: bytes) -> None:
    parts = [("datasetId", b"Not Valid", None), ("format", b"DATA_FORMAT_CSV", None)]
    parts.append(("file", iris_csv, "iris.csv"))
    body = assert_status_body(post_multipart(api, multipart(parts)), 400, 3)
    assert any("dataset_id" in field for field in violations(body))


def test_malformed_bodies(api: httpx.Client) -> None:
    assert_status_body(api.post(UPLOAD, json={"datasetId": "x"}), 415, 3)
    no_boundary = {"content-type": "multipart/form-data"}
    assert_status_body(api.post(UPLOAD, content=b"x", headers=no_boundary), 400, 3)
    truncated = multipart([("datasetId", b"x", None)])[:-10]
    assert_status_body(post_multipart(api, truncated), 400, 3)


def rss_peak_kib(pid: int) -> int:
    """The process's peak resident set size (VmHWM) in KiB."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])


def test_large_upload_streams_in_bounded_memory(
    grpc_server: GrpcServer, proxy_factory: Callable[..., RestProxy]
) -> None:
    proxy = proxy_factory(grpc_server.target)
    form = {"datasetId": unique("rest-big"), "format": "DATA_FORMAT_JSON"}
    with httpx.Client(base_url=proxy.url, timeout=600) as client:
        warm = client.post(UPLOAD, data=form, files={"file": ("w.json", Filler(4 * MIB))})
        assert_status_body(warm, 400, 3)  # not JSON: the server reads it all, then rejects it
        before = rss_peak_kib(proxy.pid)
        files = {"file": ("big.json", Filler(512 * MIB))}
        body = assert_status_body(client.post(UPLOAD, data=form, files=files), 400, 3)
    assert "chunk" in violations(body)  # the server got the whole file before judging it
    assert rss_peak_kib(proxy.pid) - before < 50 * 1024
