"""What every scenario gets: the config, the running service, the figures, lazily made models."""

import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pandas as pd

from bench import api
from bench.config import ROOT, BenchConfig
from bench.data import iris_frame, synth_frame, write_csv
from bench.figures import Figures
from bench.models import ModelSpec, ServedModel, train_served
from bench.services import Stack


@dataclass
class Context:
    """Shared state of one run; datasets and models are uploaded and trained on first use."""

    config: BenchConfig
    stack: Stack
    channel: grpc.Channel
    figures: Figures = field(default_factory=Figures)
    notes: list[str] = field(default_factory=list)
    _datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    _models: dict[str, ServedModel] = field(default_factory=dict)

    @property
    def work_dir(self) -> Path:
        """Scratch space of this run."""
        return self.config.work_dir

    def add_dataset(self, dataset_id: str, frame: pd.DataFrame) -> None:
        """Upload a frame as CSV (once per id)."""
        if dataset_id not in self._datasets:
            path = write_csv(frame, self.work_dir / "datasets" / f"{dataset_id}.csv")
            api.upload(self.channel, dataset_id, path)
            path.unlink()
            self._datasets[dataset_id] = frame

    def dataset_frame(self, dataset_id: str) -> pd.DataFrame:
        """A dataset uploaded before."""
        return self._datasets[dataset_id]

    def dataset(self, dataset_id: str) -> pd.DataFrame:
        """The named benchmark dataset ("iris" or "synth"), uploaded on first use."""
        if dataset_id not in self._datasets:
            synth_rows = self.config.sizes.synth_rows
            self.add_dataset(
                dataset_id, iris_frame() if dataset_id == "iris" else synth_frame(synth_rows)
            )
        return self._datasets[dataset_id]

    def served(self, spec: ModelSpec) -> ServedModel:
        """The model of `spec` (with the run's tree count), trained through the API on first use."""
        spec = spec.with_trees(self.config.sizes.trees)
        if spec.model_id not in self._models:
            started = time.monotonic()
            data = self.dataset(spec.dataset_id)
            self._models[spec.model_id] = train_served(
                self.channel, spec, data, self.stack.server.data_dir
            )
            print(f"  {spec.model_id} trained in {time.monotonic() - started:.1f} s", flush=True)
        return self._models[spec.model_id]

    def note(self, text: str) -> None:
        """Add a remark to the report (and show it now); local paths are left out."""
        text = text.replace(str(self.work_dir), "<work dir>").replace(str(ROOT), "<repo>")
        print(f"  note: {text}", flush=True)
        self.notes.append(text)
