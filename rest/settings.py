"""The proxy's settings, read once from `MLSERVICE_*` environment variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class RestSettings(BaseSettings):
    """Every setting of the REST proxy; built in `rest.__main__` and passed down explicitly."""

    model_config = SettingsConfigDict(env_prefix="MLSERVICE_", extra="ignore")

    rest_host: str = "127.0.0.1"
    rest_port: int = Field(default=8080, ge=0, le=65535)
    grpc_target: str = "127.0.0.1:50051"
    grpc_timeout_seconds: float = Field(default=30.0, gt=0)
    upload_timeout_seconds: float = Field(default=3600.0, gt=0)
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    max_message_bytes: int = Field(default=64 * MIB, gt=0)
    upload_chunk_bytes: int = Field(default=MIB, gt=0)
    log_json: bool = False
    log_level: str = "INFO"
    metrics_enabled: bool = True
    rest_fast_path: bool = True
