"""Generate the Python stubs (with .pyi) from proto/ into server/gen/ with grpc_tools.protoc."""

import sys
from pathlib import Path

import google.api
import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
INCLUDES = [
    ROOT / "proto",
    Path(google.api.__path__[0]).parent.parent,
    Path(grpc_tools.__path__[0]) / "_proto",
]


def main() -> int:
    """Run protoc once over every file under proto/."""
    out = ROOT / "server" / "gen"
    sources = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    args = ["protoc", *(f"-I{path}" for path in INCLUDES)]
    args += [f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}", *sources]
    return protoc.main(args)


if __name__ == "__main__":
    sys.exit(main())
