"""A training job: everything a worker process needs, sent to it as one JSON line."""

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class TrainJob:
    """One training run of one model version."""

    model_id: str
    version: int
    model_class: str
    hyperparameters: dict[str, Any]
    dataset_path: str
    dataset_format: str
    target_column: str
    feature_types: dict[str, str]  # feature column -> "number" | "string", in order
    test_size: float
    random_state: int
    output_path: str
    compiled_path: str = ""  # where to write the ONNX model when it passes; empty: no compiling
    clearml_project: str = ""  # ClearML mode: the run is a Task in this project; empty: off
    clearml_output_uri: str = ""  # where ClearML uploads the weights; empty: its file server
    dataset_id: str = ""  # the dataset version trained on, recorded in ClearML
    dataset_version: int = 0
    dataset_md5: str = ""

    def to_json(self) -> str:
        """The job as one JSON line."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "TrainJob":
        """A job from `to_json` output."""
        return cls(**json.loads(text))
