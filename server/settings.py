"""The service's settings, read once from `MLSERVICE_*` environment variables."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Every setting of the server; built in `server.__main__` and passed down explicitly."""

    model_config = SettingsConfigDict(env_prefix="MLSERVICE_", extra="ignore")

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    data_dir: Path = Path(".data")
    max_message_bytes: int = Field(64 * MIB, gt=0)
    max_upload_bytes: int = Field(1024 * MIB, gt=0)
    training_workers: int = Field(2, ge=1)
    model_cache_size: int = Field(16, ge=1)
    training_timeout_s: float = Field(3600.0, gt=0)
    training_spare_workers: int = Field(1, ge=0)
    max_predict_rows: int = Field(10_000, ge=1)
    max_hyperparameters_bytes: int = Field(16 * 1024, gt=0)
    max_classes: int = Field(100, ge=2)
    dvc_remote: str = ""
    log_json: bool = False
    log_level: str = "INFO"
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "mlservice"
    s3_secure: bool = False
    clearml_project: str = "mlservice"
    # ClearML's own variables (no MLSERVICE_ prefix): the SDK reads them too.
    clearml_api_host: str = Field(
        "", validation_alias=AliasChoices("clearml_api_host", "CLEARML_API_HOST")
    )
    clearml_api_access_key: str = Field(
        "", validation_alias=AliasChoices("clearml_api_access_key", "CLEARML_API_ACCESS_KEY")
    )
    clearml_api_secret_key: str = Field(
        "", validation_alias=AliasChoices("clearml_api_secret_key", "CLEARML_API_SECRET_KEY")
    )
    api_token: str = ""
    metrics_port: int = Field(9090, ge=0, le=65535)  # 0: any free port (logged)
    metrics_enabled: bool = True

    def resolved(self) -> "Settings":
        """Return a copy whose data dir is absolute (DVC and subprocesses need absolute paths)."""
        return self.model_copy(update={"data_dir": self.data_dir.expanduser().resolve()})

    @property
    def datasets_dir(self) -> Path:
        """Where the DVC repository, its cache and the dataset index live."""
        return self.data_dir / "datasets"

    @property
    def models_dir(self) -> Path:
        """Where the embedded model registry keeps weights and metadata."""
        return self.data_dir / "models"

    @property
    def clearml_enabled(self) -> bool:
        """Whether models go to ClearML (`CLEARML_API_HOST` is set) instead of the data dir."""
        return bool(self.clearml_api_host)

    @property
    def dvc_remote_url(self) -> str:
        """The DVC remote: the explicit setting, else a directory under the data dir."""
        return self.dvc_remote or str(self.data_dir / "dvc-remote")
