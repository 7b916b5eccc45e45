"""The gRPC client notebook runs top to bottom against a live server."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "grpc_client.ipynb"


def test_notebook_runs_against_live_server(grpc_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSERVICE_GRPC_TARGET", grpc_server.target)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3").execute(cwd=str(NOTEBOOK.parent))
    outputs = "".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert "MODEL_STATE_READY" in outputs
    assert "INVALID_ARGUMENT" in outputs and "hyperparameters.C" in outputs
    assert "deleted models/" in outputs
