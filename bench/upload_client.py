"""Upload a file over gRPC or REST in a separate process and print the seconds it took.

`python -m bench.upload_client grpc|rest <address> <dataset_id> <file>`
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.config import ROOT


def upload_grpc(target: str, dataset_id: str, path: Path) -> str:
    """Stream the file in 1 MiB chunks to UploadDataset; returns the stored md5."""
    import grpc

    from bench import api

    with grpc.insecure_channel(target) as channel:
        return str(api.upload(channel, dataset_id, path).md5)


def upload_rest(base_url: str, dataset_id: str, path: Path) -> str:
    """POST the file as multipart (form fields first, the file part streamed by httpx)."""
    import httpx

    with path.open("rb") as source:
        response = httpx.post(
            f"{base_url}/v1/datasets:upload",
            data={"datasetId": dataset_id, "format": "DATA_FORMAT_CSV"},
            files={"file": (path.name, source, "text/csv")},
            timeout=3600,
        )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:500]}")
    return str(response.json()["md5"])


def run_upload(kind: str, address: str, dataset_id: str, path: Path) -> float:
    """Upload in a fresh process; return the seconds from first byte to the stored version."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.upload_client", kind, address, dataset_id, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} upload failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout)["seconds"])


def main(argv: list[str]) -> None:
    """Upload and print {"seconds": ..., "md5": ...}."""
    kind, address, dataset_id, file = argv
    upload = upload_grpc if kind == "grpc" else upload_rest
    started = time.perf_counter()
    md5 = upload(address, dataset_id, Path(file))
    print(json.dumps({"seconds": time.perf_counter() - started, "md5": md5}))


if __name__ == "__main__":
    main(sys.argv[1:])
