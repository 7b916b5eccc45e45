"""The dashboard's only way to the service: a small typed client of the REST API (httpx)."""

import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import quote

import httpx

from dashboard.resources import (
    Dataset,
    DatasetVersion,
    FieldViolation,
    Model,
    ModelClass,
    Prediction,
    ServiceStatus,
    short_id,
)

DEFAULT_URL = "http://127.0.0.1:8080"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
FORMATS = {"csv": "DATA_FORMAT_CSV", "json": "DATA_FORMAT_JSON"}
PAGE_SIZE = 1000

ProgressCallback = Callable[[int, int], None]


class ServiceDown(Exception):
    """The REST API could not be reached at all (refused, reset, DNS, connect timeout)."""


class ApiError(Exception):
    """The API answered with an error: HTTP status, google.rpc.Status message, violations."""

    def __init__(
        self, status: int, message: str, violations: tuple[FieldViolation, ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = violations

    @classmethod
    def from_response(cls, response: httpx.Response) -> "ApiError":
        """Read a google.rpc.Status JSON body; fall back to the status line and text."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "message" not in body:
            text = response.text.strip()[:300]
            return cls(response.status_code, f"HTTP {response.status_code} {text}".strip())
        return cls(response.status_code, str(body["message"]), _violations(body))


def _violations(status: Mapping[str, Any]) -> tuple[FieldViolation, ...]:
    found: list[FieldViolation] = []
    for detail in status.get("details") or []:
        if isinstance(detail, dict) and detail.get("@type") == BAD_REQUEST_TYPE:
            for item in detail.get("fieldViolations") or []:
                found.append(FieldViolation(item.get("field", ""), item.get("description", "")))
    return tuple(found)


class ProgressReader(io.RawIOBase):
    """A read-only file wrapper that reports how many bytes httpx has read so far."""

    def __init__(self, file: IO[bytes], on_progress: ProgressCallback | None) -> None:
        super().__init__()
        self._file = file
        self._on_progress = on_progress
        self._total = file.seek(0, io.SEEK_END)
        file.seek(0)

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Seekable, so httpx can send a Content-Length."""
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the wrapped file."""
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        """The position within the wrapped file."""
        return self._file.tell()

    def read(self, size: int = -1) -> bytes:
        """Read a chunk and report the progress."""
        chunk = self._file.read(size)
        if self._on_progress is not None:
            self._on_progress(self._file.tell(), self._total)
        return chunk


@dataclass(frozen=True)
class TrainSpec:
    """What TrainModel needs: class, dataset, columns, hyperparameters and the split."""

    model_class: str
    dataset_id: str
    target_column: str
    feature_columns: tuple[str, ...] = ()
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    model_id: str = ""
    dataset_version: int = 0
    test_size: float = 0.0
    random_state: int = 0

    def body(self) -> dict[str, Any]:
        """The TrainModelRequest as ProtoJSON."""
        return {
            "modelId": self.model_id,
            "modelClass": self.model_class,
            "hyperparameters": self.hyperparameters,
            "dataset": f"datasets/{short_id(self.dataset_id)}",
            "datasetVersion": self.dataset_version,
            "targetColumn": self.target_column,
            "featureColumns": list(self.feature_columns),
            "testSize": self.test_size,
            "randomState": self.random_state,
        }


class Client:
    """Typed calls of the mlservice REST API; raises ApiError or ServiceDown."""

    def __init__(self, base_url: str = DEFAULT_URL, token: str = "", timeout: float = 30) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout, connect=5)
        )

    @classmethod
    def from_env(cls) -> "Client":
        """A client for MLSERVICE_REST_URL with the MLSERVICE_API_TOKEN, when set."""
        return cls(*env_settings())

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise ServiceDown(f"{self.base_url} does not answer: {exc}") from exc
            raise ApiError(504, f"the request to {self.base_url} timed out") from exc
        except httpx.TransportError as exc:
            raise ServiceDown(f"cannot reach {self.base_url}: {exc}") from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        with self._errors():
            response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise ApiError.from_response(response)
        return response.json() if response.content else {}

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        query = {**params, "pageSize": PAGE_SIZE}
        while True:
            page = self._call("GET", path, params=query)
            yield from page.get(key, [])
            query["pageToken"] = page.get("nextPageToken", "")
            if not query["pageToken"]:
                return

    # ModelService

    def list_model_classes(self) -> list[ModelClass]:
        """Every trainable class with its hyperparameter specs."""
        body = self._call("GET", "/v1/modelClasses")
        return [ModelClass.from_json(item) for item in body.get("modelClasses", [])]

    def train_model(self, spec: TrainSpec) -> Model:
        """Create a model and start training its first version."""
        return Model.from_json(self._call("POST", "/v1/models", json=spec.body()))

    def list_models(self, state: str = "", model_class: str = "") -> list[Model]:
        """Every model (all pages), optionally filtered by state and class."""
        params = {k: v for k, v in {"state": state, "modelClass": model_class}.items() if v}
        return [Model.from_json(m) for m in self._pages("/v1/models", "models", params)]

    def get_model(self, model_id: str) -> Model:
        """One model with all its versions."""
        return Model.from_json(self._call("GET", _model_path(model_id)))

    def retrain_model(
        self,
        model_id: str,
        hyperparameters: dict[str, Any] | None = None,
        dataset_version: int = 0,
        test_size: float = 0.0,
        random_state: int = 0,
    ) -> Model:
        """Train a new version; absent hyperparameters reuse the latest version's."""
        body: dict[str, Any] = {
            "datasetVersion": dataset_version,
            "testSize": test_size,
            "randomState": random_state,
        }
        if hyperparameters is not None:
            body["hyperparameters"] = hyperparameters
        return Model.from_json(self._call("POST", f"{_model_path(model_id)}:retrain", json=body))

    def delete_model(self, model_id: str) -> None:
        """Delete a model with all its versions."""
        self._call("DELETE", _model_path(model_id))

    def predict(self, model_id: str, rows: list[list[Any]], version: int = 0) -> Prediction:
        """Predict rows (in feature_columns order) with the serving or a chosen version."""
        body = {"version": version, "rows": rows}
        return Prediction.from_json(
            self._call("POST", f"{_model_path(model_id)}:predict", json=body)
        )

    # DatasetService

    def upload_dataset(
        self,
        dataset_id: str,
        file: IO[bytes],
        filename: str,
        fmt: str,
        description: str = "",
        on_progress: ProgressCallback | None = None,
    ) -> DatasetVersion:
        """Stream a CSV or JSON file as a new version of a dataset (multipart)."""
        form = {"datasetId": dataset_id, "format": FORMATS[fmt.lower()], "description": description}
        mime = "text/csv" if fmt.lower() == "csv" else "application/json"
        files = {"file": (filename, ProgressReader(file, on_progress), mime)}
        timeout = httpx.Timeout(600, connect=5)
        body = self._call("POST", "/v1/datasets:upload", data=form, files=files, timeout=timeout)
        return DatasetVersion.from_json(body)

    def list_datasets(self) -> list[Dataset]:
        """Every dataset (all pages) with its versions, without previews."""
        return [Dataset.from_json(d) for d in self._pages("/v1/datasets", "datasets", {})]

    def get_dataset(self, dataset_id: str, version: int = 0, preview_rows: int = 0) -> Dataset:
        """A dataset with its versions, and the columns and first rows of one version."""
        params = {"version": version, "previewRows": preview_rows}
        return Dataset.from_json(self._call("GET", _dataset_path(dataset_id), params=params))

    def delete_dataset(self, dataset_id: str, version: int = 0) -> None:
        """Delete a whole dataset (version 0) or one of its versions."""
        self._call("DELETE", _dataset_path(dataset_id), params={"version": version})

    # StatusService

    def status(self) -> ServiceStatus:
        """Version, uptime, component states and counts."""
        return ServiceStatus.from_json(self._call("GET", "/v1/status"))


def _model_path(model_id: str) -> str:
    return f"/v1/models/{quote(short_id(model_id), safe='')}"


def _dataset_path(dataset_id: str) -> str:
    return f"/v1/datasets/{quote(short_id(dataset_id), safe='')}"


def env_settings() -> tuple[str, str]:
    """The REST base URL (MLSERVICE_REST_URL) and API token (MLSERVICE_API_TOKEN)."""
    url = os.environ.get("MLSERVICE_REST_URL") or DEFAULT_URL
    return url.rstrip("/"), os.environ.get("MLSERVICE_API_TOKEN", "")


def format_of(filename: str) -> str:
    """The upload format a file name suggests: "json" for *.json, else "csv"."""
    return "json" if filename.lower().endswith(".json") else "csv"
