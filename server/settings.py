"""The service's settings, read once from `MLSERVICE_*` environment variables."""

from pathlib import Path

from pydantic import Field
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
    dvc_remote: str = ""
    log_json: bool = False
    log_level: str = "INFO"
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "mlservice"
    s3_secure: bool = False
    api_token: str = ""
    metrics_port: int = 9090

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
    def dvc_remote_url(self) -> str:
        """The DVC remote: the explicit setting, else a directory under the data dir."""
        return self.dvc_remote or str(self.data_dir / "dvc-remote")
