"""The upload baseline: `dvc add` + `dvc push` with the DVC CLI to a local directory remote."""

import os
import subprocess
import sys
import time
from pathlib import Path

DVC = Path(sys.executable).with_name("dvc")


def dvc(cwd: Path, *args: str) -> None:
    """Run one DVC command in `cwd`; raise with its output when it fails."""
    site_cache = str(cwd.parent / "site-cache")  # keeps DVC out of the system-wide /var/tmp
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "DVC_SITE_CACHE_DIR": site_cache}
    done = subprocess.run(
        [str(DVC), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dvc {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def fresh_repo(root: Path) -> Path:
    """`dvc init --no-scm` in `root/repo` with a directory remote `root/remote` as default."""
    repo, remote = root / "repo", root / "remote"
    repo.mkdir(parents=True)
    remote.mkdir()
    dvc(repo, "init", "--no-scm", "--quiet")
    dvc(repo, "config", "core.analytics", "false")
    dvc(repo, "config", "core.site_cache_dir", str(root / "site-cache"))
    dvc(repo, "remote", "add", "--default", "storage", str(remote))
    return repo


def add_and_push(repo: Path, file: Path) -> float:
    """Seconds for `dvc add <file>` then `dvc push` (the file already inside the repo)."""
    started = time.perf_counter()
    dvc(repo, "add", "--quiet", file.name)
    dvc(repo, "push", "--quiet")
    return time.perf_counter() - started
