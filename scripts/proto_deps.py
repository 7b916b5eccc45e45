"""Copy the third-party .proto files our protos import into a build folder, for buf.

protoc finds them in site-packages (googleapis-common-protos); buf needs them
inside its workspace, and no remote registry is used.
"""

import shutil
import sys
from pathlib import Path

import google.api

GOOGLEAPIS = Path(google.api.__path__[0]).parent.parent
IMPORTS = {
    GOOGLEAPIS: [
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/api/field_behavior.proto",
    ],
}


def main(out: Path) -> None:
    """Copy every imported file under `out`, keeping its import path."""
    for root, files in IMPORTS.items():
        for name in files:
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / name, target)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
