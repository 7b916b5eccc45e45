"""ClearML SDK scripts run in fresh interpreters, as the server's training workers run them.

ClearML keeps one session per process, so each script gets its own interpreter, an
environment without the ClearML or AWS settings of the machine running the tests, and
prints its result as JSON on its last line.
"""

import json
import os
import subprocess
import sys
from typing import Any

from tests.processes import ROOT


def clean_env() -> dict[str, str]:
    """The environment without any ClearML or AWS settings of the machine running the tests."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CLEARML_", "AWS_"))}


def run_script(script: str, args: list[str], env: dict[str, str], timeout: float = 180) -> Any:
    """Run `script` with `args` in `env` (added to `clean_env()`); its JSON result."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
