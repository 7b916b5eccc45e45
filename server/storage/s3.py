"""S3 / MinIO from the settings: a client that fails fast, the status check, the bucket, DVC.

Every call made through `make_client` gives up after ~2 s per attempt and one retry, so a
storage outage turns into an error within seconds instead of a long SDK retry loop.
"""

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from server.errors import Unavailable
from server.settings import Settings

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 2.0
MAX_ATTEMPTS = 2  # the first try and one retry
REGION = "us-east-1"  # MinIO's default; any value works with a custom endpoint
DVC_PREFIX = "dvc"
DVC_CONNECT_TIMEOUT_S = 5
DVC_READ_TIMEOUT_S = 60  # per socket read: large pushes need more than the status check
_MISSING_BUCKET = {"404", "NoSuchBucket", "NotFound"}


@dataclass(frozen=True)
class S3Config:
    """Where the object storage is (`host:port`), how to log in, and the bucket."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "S3Config":
        """Build it from `MLSERVICE_S3_*`; ValueError when the endpoint is not `host:port`."""
        host, _, port = settings.s3_endpoint.rpartition(":")
        if not host or not port.isdigit() or "/" in settings.s3_endpoint:
            raise ValueError(
                f"MLSERVICE_S3_ENDPOINT must be host:port, got {settings.s3_endpoint!r}"
            )
        return cls(
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            bucket=settings.s3_bucket,
            secure=settings.s3_secure,
        )

    @property
    def endpoint_url(self) -> str:
        """`http(s)://host:port`, as boto3, DVC and ClearML's S3 driver expect it."""
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"


def s3_configured(settings: Settings) -> bool:
    """Whether an S3 endpoint is set (otherwise everything stays on the data volume)."""
    return bool(settings.s3_endpoint)


def make_client(config: S3Config) -> Any:
    """A boto3 S3 client with short timeouts and at most one retry."""
    return boto3.client(
        "s3",
        endpoint_url=config.endpoint_url,
        aws_access_key_id=config.access_key,
        aws_secret_access_key=config.secret_key,
        region_name=REGION,
        config=Config(
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            s3={"addressing_style": "path"},
            signature_version="s3v4",
        ),
    )


def check_s3(settings: Settings) -> tuple[str, str]:
    """("OK" | "DOWN", message): is the bucket reachable with these keys, within seconds."""
    if not s3_configured(settings):
        return "OK", "not configured (MLSERVICE_S3_ENDPOINT is empty)"
    try:
        config = S3Config.from_settings(settings)
        make_client(config).head_bucket(Bucket=config.bucket)
    except ValueError as error:
        return "DOWN", str(error)
    except ClientError as error:
        return "DOWN", _client_error_message(error, settings)
    except BotoCoreError as error:
        return "DOWN", f"cannot reach {settings.s3_endpoint}: {error}"
    return "OK", f"bucket {config.bucket!r} reachable at {config.endpoint}"


def ensure_bucket(config: S3Config) -> bool:
    """Create the bucket unless it exists; True when created. Unavailable when unreachable."""
    client = make_client(config)
    try:
        client.head_bucket(Bucket=config.bucket)
        return False
    except ClientError as error:
        if _error_code(error) not in _MISSING_BUCKET:
            raise Unavailable(f"S3 bucket {config.bucket!r}: {error}") from error
    except BotoCoreError as error:
        raise Unavailable(f"cannot reach S3 at {config.endpoint}: {error}") from error
    try:
        client.create_bucket(Bucket=config.bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        return False
    except (ClientError, BotoCoreError) as error:
        raise Unavailable(f"could not create S3 bucket {config.bucket!r}: {error}") from error
    return True


def dvc_remote_url(settings: Settings) -> str:
    """The DVC remote on S3: `MLSERVICE_DVC_REMOTE` when it is an s3:// URL, else `dvc/`."""
    if settings.dvc_remote.startswith("s3://"):
        return settings.dvc_remote.rstrip("/")
    return f"s3://{settings.s3_bucket}/{DVC_PREFIX}"


def dvc_remote_options(settings: Settings) -> dict[str, str]:
    """The `dvc remote add <name> <url>` + `dvc remote modify` options of the S3 remote."""
    config = S3Config.from_settings(settings)
    return {
        "url": dvc_remote_url(settings),
        "endpointurl": config.endpoint_url,
        "access_key_id": config.access_key,
        "secret_access_key": config.secret_key,
        "region": REGION,
        "connect_timeout": str(DVC_CONNECT_TIMEOUT_S),
        "read_timeout": str(DVC_READ_TIMEOUT_S),
    }


def retry_env() -> dict[str, str]:
    """Process environment that bounds botocore's retries where no option exists (DVC, SDKs)."""
    return {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _client_error_message(error: ClientError, settings: Settings) -> str:
    code = _error_code(error)
    if code in _MISSING_BUCKET:
        return f"bucket {settings.s3_bucket!r} does not exist at {settings.s3_endpoint}"
    if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        return f"access to bucket {settings.s3_bucket!r} denied (check the S3 keys)"
    return f"S3 error at {settings.s3_endpoint}: {error}"
