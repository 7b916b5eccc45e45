"""Generate everything proto/ defines, in one protoc run.

The Python stubs (with .pyi) go to server/gen/, the OpenAPI spec to rest/openapi/openapi.json
(written by the in-repo protoc-gen-openapi plugin).
"""

import os
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
OPENAPI_PLUGIN = ROOT / "tools" / "protoc-gen-openapi"
OPENAPI_OPTIONS = "title=mlservice,version=v1"


def openapi_args(out: Path, options: str = OPENAPI_OPTIONS) -> list[str]:
    """The protoc arguments that run protoc-gen-openapi into `out`.

    Also tells the plugin's wrapper script to run this same Python (an environment variable,
    inherited by the plugin process protoc starts).
    """
    os.environ["PROTOC_GEN_OPENAPI_PYTHON"] = sys.executable
    out.mkdir(parents=True, exist_ok=True)
    return [
        f"--plugin=protoc-gen-openapi={OPENAPI_PLUGIN}",
        f"--openapi_out={out}",
        f"--openapi_opt={options}",
    ]


def main() -> int:
    """Run protoc once over every file under proto/."""
    out = ROOT / "server" / "gen"
    sources = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    args = ["protoc", *(f"-I{path}" for path in INCLUDES)]
    args += [f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}"]
    args += [*openapi_args(ROOT / "rest" / "openapi"), *sources]
    return protoc.main(args)


if __name__ == "__main__":
    sys.exit(main())
