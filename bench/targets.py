"""The same prediction asked of each system: prepared request bodies for the load client."""

from dataclasses import dataclass

import orjson
import pandas as pd

from bench import api, v2_proto
from bench.load import LoadJob

PREDICT_METHOD = "/mlservice.v1.ModelService/Predict"
V2_OUTPUTS = ["predict", "predict_proba"]  # what our Predict answers for a classifier


@dataclass(frozen=True)
class Target:
    """Where and what to send: `kind` "grpc" or "http", address, method or path, body."""

    system: str
    kind: str
    address: str
    path: str
    body: bytes

    def job(self, concurrency: int, seconds: float, max_requests: int, warmup: int) -> LoadJob:
        """A load job sending this request."""
        return LoadJob(
            self.kind,
            self.address,
            self.path,
            self.body,
            concurrency,
            seconds,
            max_requests,
            warmup,
        )


def ours_grpc(name: str, target: str, frame: pd.DataFrame) -> Target:
    """Our Predict over gRPC for the frame's rows."""
    request = api.predict_request(name, frame.to_numpy().tolist())
    return Target("grpc", "grpc", target, PREDICT_METHOD, request.SerializeToString())


def ours_rest(name: str, base_url: str, frame: pd.DataFrame) -> Target:
    """Our Predict over REST (the proxy) for the frame's rows."""
    body = orjson.dumps({"rows": frame.to_numpy().tolist()})
    return Target("rest", "http", base_url, f"/v1/{name}:predict", body)


def _columns(frame: pd.DataFrame) -> dict[str, list[float]]:
    return {str(name): frame[name].tolist() for name in frame.columns}


def mlserver_grpc(model: str, target: str, frame: pd.DataFrame) -> Target:
    """MLServer's V2 ModelInfer over gRPC, pandas codec, predict + predict_proba."""
    body = v2_proto.infer_request(model, _columns(frame), V2_OUTPUTS)
    return Target("mlserver-grpc", "grpc", target, v2_proto.MODEL_INFER, body)


def mlserver_rest(model: str, base_url: str, frame: pd.DataFrame) -> Target:
    """MLServer's V2 infer over REST, the same request as JSON."""
    body = orjson.dumps(v2_proto.infer_json(_columns(frame), V2_OUTPUTS))
    return Target("mlserver-rest", "http", base_url, f"/v2/models/{model}/infer", body)
