"""The `clearml.conf` the SDK reads (via `CLEARML_CONFIG_FILE`), written from our settings.

JSON is valid HOCON, so the file is rendered with `json` (no quoting bugs). It holds the API
server and keys, short HTTP retries (the SDK's defaults retry for many minutes), the S3
credentials of the MinIO host (`host:port`, `secure`, no multipart), the default output URI
for weights, and a cache under the data dir.
"""

import json
import os
from pathlib import Path
from typing import Any

from server.settings import Settings

CONFIG_NAME = "clearml.conf"
WEIGHTS_PREFIX = "clearml"
# urllib3 retries per API request: the first try and two retries, ~1.5 s of backoff at most.
API_RETRIES = {
    "total": 2,
    "connect": 2,
    "read": 2,
    "redirect": 2,
    "status": 2,
    "backoff_factor": 0.5,
    "backoff_max": 2.0,
}
S3_CONNECT_TIMEOUT_S = 5
S3_READ_TIMEOUT_S = 60


def clearml_dir(settings: Settings) -> Path:
    """Where the config file and ClearML's cache live (under the data dir)."""
    return settings.data_dir / "clearml"


def config_path(settings: Settings) -> Path:
    """The `clearml.conf` of this service."""
    return clearml_dir(settings) / CONFIG_NAME


def output_uri(settings: Settings) -> str | bool:
    """Where weights go: `s3://host:port/bucket/clearml`, else True (ClearML's file server)."""
    if not settings.s3_endpoint:
        return True
    return f"s3://{settings.s3_endpoint}/{settings.s3_bucket}/{WEIGHTS_PREFIX}"


def job_target(settings: Settings) -> tuple[str, str]:
    """(project, output URI) of training runs: ("", "") when ClearML mode is off."""
    if not settings.clearml_enabled:
        return "", ""
    uri = output_uri(settings)
    return settings.clearml_project, uri if isinstance(uri, str) else ""


def config_tree(settings: Settings) -> dict[str, Any]:
    """The configuration as nested dicts (what the file holds)."""
    uri = output_uri(settings)
    return {
        "api": _api_section(settings),
        "sdk": {
            "aws": {
                "s3": {"credentials": _s3_credentials(settings)},
                "boto3": {
                    "connect_timeout": S3_CONNECT_TIMEOUT_S,
                    "read_timeout": S3_READ_TIMEOUT_S,
                },
            },
            "development": {
                "default_output_uri": uri if isinstance(uri, str) else "",
                "report_use_subprocess": False,
                "store_uncommitted_code_diff": False,
                "suppress_update_message": True,
            },
            "network": {"file_upload_retries": 2},
            "storage": {"cache": {"default_base_dir": str(clearml_dir(settings) / "cache")}},
        },
    }


def render_config(settings: Settings) -> str:
    """The file's text."""
    header = "# Written by mlservice at startup from its settings; edits are overwritten.\n"
    return header + json.dumps(config_tree(settings), indent=2) + "\n"


def write_config(settings: Settings) -> Path:
    """Write the file (owner-only: it holds keys) atomically and return its path."""
    path = config_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(render_config(settings))
    os.replace(partial, path)
    return path


def worker_env(settings: Settings) -> dict[str, str]:
    """Variables for processes that use the SDK: they read the file written above."""
    return {"CLEARML_CONFIG_FILE": str(config_path(settings))}


def _api_section(settings: Settings) -> dict[str, Any]:
    return {
        "api_server": settings.clearml_api_host.rstrip("/"),
        "credentials": {
            "access_key": settings.clearml_api_access_key,
            "secret_key": settings.clearml_api_secret_key,
        },
        "http": {"retries": API_RETRIES, "wait_on_maintenance_forever": False},
    }


def _s3_credentials(settings: Settings) -> list[dict[str, Any]]:
    if not settings.s3_endpoint:
        return []
    return [
        {
            "host": settings.s3_endpoint,
            "key": settings.s3_access_key,
            "secret": settings.s3_secret_key,
            "secure": settings.s3_secure,
            "multipart": False,
        }
    ]
