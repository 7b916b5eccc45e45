"""The load client: N concurrent asyncio workers sending one prepared request, in its own process.

`run_jobs(jobs)` starts `python -m bench.load`, which runs the jobs one after the other and
prints their results as JSON, so the client never shares a GIL with the measured server.
gRPC goes through grpc.aio with pre-serialized bytes (any service, no stubs needed); HTTP
through a lean HTTP/1.1 keep-alive client (`bench.http_client`), one connection per worker.
"""

import asyncio
import base64
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace

from bench.config import ROOT
from bench.cpu import total_cpu_seconds
from bench.figures import percentile
from bench.http_client import KeepAlivePool, prepared_post

Call = Callable[[], Awaitable[None]]
MAX_ERRORS = 20
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class LoadJob:
    """One load run: `kind` "grpc" (target host:port, path = method) or "http" (base URL)."""

    kind: str
    target: str
    path: str
    body: bytes
    concurrency: int
    seconds: float
    max_requests: int
    warmup: int = 0
    cpu_pids: tuple[int, ...] = ()  # processes whose CPU time is measured over the run

    def to_json(self) -> dict[str, object]:
        """A JSON-safe dict (the body base64-encoded)."""
        return {**asdict(self), "body": base64.b64encode(self.body).decode()}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "LoadJob":
        """The inverse of `to_json`."""
        body = base64.b64decode(str(data["body"]))
        pids = tuple(data.get("cpu_pids", ()))  # type: ignore[call-overload]
        return cls(**{**data, "body": body, "cpu_pids": pids})  # type: ignore[arg-type]


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured; latencies in milliseconds."""

    requests: int
    errors: int
    elapsed_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    first_error: str = ""
    cpu_s: float = 0.0  # CPU time of the job's `cpu_pids` during the measured run


def summarize(latencies: list[float], errors: list[str], elapsed: float) -> LoadResult:
    """Throughput and latency percentiles of one run."""
    ordered = sorted(latencies)
    mean = sum(ordered) / len(ordered) if ordered else float("nan")
    return LoadResult(
        requests=len(ordered),
        errors=len(errors),
        elapsed_s=elapsed,
        rps=len(ordered) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        mean_ms=mean * 1000,
        first_error=errors[0] if errors else "",
    )


async def drive(call: Call, concurrency: int, seconds: float, max_requests: int) -> LoadResult:
    """Run `concurrency` workers until `seconds` pass or `max_requests` are issued."""
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            if len(errors) >= MAX_ERRORS:
                return
            issued += 1
            started = time.perf_counter()
            try:
                await call()
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}"[:500])
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarize(latencies, errors, time.perf_counter() - started)


async def _with_grpc(job: LoadJob) -> LoadResult:
    import grpc

    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    async with grpc.aio.insecure_channel(job.target, options=options) as channel:
        # Bytes in, bytes out: no (de)serialization in the client.
        method = channel.unary_unary(job.path, request_serializer=None, response_deserializer=None)

        async def call() -> None:
            await method(job.body, timeout=120)

        return await _warm_and_drive(call, job)


async def _with_http(job: LoadJob) -> LoadResult:
    host, port, request = prepared_post(job.target, job.path, job.body)
    pool = KeepAlivePool(host, port)

    async def call() -> None:
        await pool.send(request)

    try:
        return await _warm_and_drive(call, job)
    finally:
        await pool.close()


async def _warm_and_drive(call: Call, job: LoadJob) -> LoadResult:
    if job.warmup:
        await drive(call, job.concurrency, 60.0, job.warmup)
    cpu_before = total_cpu_seconds(job.cpu_pids)
    result = await drive(call, job.concurrency, job.seconds, job.max_requests)
    return replace(result, cpu_s=total_cpu_seconds(job.cpu_pids) - cpu_before)


async def run_all(jobs: list[LoadJob]) -> list[LoadResult]:
    """Run the jobs one after the other."""
    runners = {"grpc": _with_grpc, "http": _with_http}
    return [await runners[job.kind](job) for job in jobs]


def run_jobs(jobs: list[LoadJob]) -> list[LoadResult]:
    """Run the jobs in a fresh `python -m bench.load` process and return their results."""
    budget = sum(job.seconds + 60 for job in jobs) + 30
    completed = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps([job.to_json() for job in jobs]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=budget,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"load client failed:\n{completed.stderr[-3000:]}")
    return [LoadResult(**item) for item in json.loads(completed.stdout)]


def main() -> None:
    """Entry point of the load process: jobs as JSON on stdin, results as JSON on stdout."""
    jobs = [LoadJob.from_json(item) for item in json.loads(sys.stdin.read())]
    results = asyncio.run(run_all(jobs))
    print(json.dumps([asdict(result) for result in results]))


if __name__ == "__main__":
    main()
