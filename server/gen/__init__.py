"""Generated protobuf and gRPC stubs (written by `make proto`, never by hand).

protoc emits absolute imports (`from mlservice.v1 import ...`), so this package puts its own
folder on `sys.path` and re-exports the modules the rest of the code uses.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)

from mlservice.v1 import (  # noqa: E402
    datasets_pb2,
    datasets_pb2_grpc,
    models_pb2,
    models_pb2_grpc,
    options_pb2,
    status_pb2,
    status_pb2_grpc,
)

__all__ = [
    "datasets_pb2",
    "datasets_pb2_grpc",
    "models_pb2",
    "models_pb2_grpc",
    "options_pb2",
    "status_pb2",
    "status_pb2_grpc",
]
