"""One call per target before any load: every system must return the in-process predictions."""

from typing import Any

import grpc
import httpx
import orjson

from bench import v2_proto
from bench.targets import Target
from server.gen import models_pb2


def _call(target: Target) -> bytes:
    if target.kind == "grpc":
        with grpc.insecure_channel(target.address) as channel:
            method = channel.unary_unary(
                target.path, request_serializer=None, response_deserializer=None
            )
            return bytes(method(target.body, timeout=120))
    response = httpx.post(
        target.address + target.path,
        content=target.body,
        headers={"content-type": "application/json"},
        timeout=120,
    )
    if response.status_code != 200:
        raise RuntimeError(f"{target.system}: HTTP {response.status_code}: {response.text[:500]}")
    return response.content


def _predictions(target: Target, data: bytes) -> list[Any]:
    if target.system == "grpc":
        return [_plain(v) for v in models_pb2.PredictResponse.FromString(data).predictions]
    if target.system == "rest":
        return list(orjson.loads(data)["predictions"])
    if target.system == "mlserver-grpc":
        output = v2_proto.parse_response(data).outputs[0]
        contents = output.contents
        values = contents.bytes_contents or contents.int64_contents or contents.fp64_contents
        return [v.decode() if isinstance(v, bytes) else v for v in values]
    return list(orjson.loads(data)["outputs"][0]["data"])


def _plain(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    return value.number_value if kind == "number_value" else value.string_value


def _same(left: list[Any], right: list[Any]) -> bool:
    return len(left) == len(right) and all(
        str(a) == str(b) or _close(a, b) for a, b in zip(left, right, strict=True)
    )


def _close(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


def check_target(target: Target, expected: list[Any]) -> None:
    """Raise when the target fails or its predictions differ from the in-process ones."""
    got = _predictions(target, _call(target))
    if not _same(got, expected):
        raise RuntimeError(f"{target.system}: predictions {got[:5]} differ from {expected[:5]}")
