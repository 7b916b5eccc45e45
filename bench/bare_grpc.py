"""A grpc.aio server that does nothing: the floor of any Python gRPC service, for the bench.

`python -m bench.bare_grpc PORT` (started by `running_bare_grpc`) answers
`grpc.health.v1.Health/Check` with a constant SERVING response from a generic handler: no
servicer, no (de)serialization, no interceptors. A sequential call to it is what the Python
gRPC stack alone costs on this machine.
"""

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from tests.processes import GrpcServer, free_port

SERVING = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
ANSWER = SERVING.SerializeToString()


async def _check(_request: bytes, _context: grpc.aio.ServicerContext) -> bytes:
    return ANSWER


async def serve(port: int) -> None:
    """Serve the no-op Health/Check on loopback `port` until stopped."""
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(_check)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": handler}),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


@contextlib.contextmanager
def running_bare_grpc(work_dir: Path) -> Iterator[GrpcServer]:
    """Start the bare server on a free port; stop it at exit."""
    port = free_port()
    args = [sys.executable, "-m", "bench.bare_grpc", str(port)]
    log = work_dir / "logs" / f"bare-grpc-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = GrpcServer(args, dict(os.environ), log, port=port)
    try:
        server.start_and_wait(timeout=60)
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
