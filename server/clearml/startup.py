"""Startup of the optional back ends: the S3 bucket, ClearML's config, their status checks.

`prepare_backends` runs once in `server.app.build`, before anything touches S3 or ClearML.
It updates this process's environment on purpose: the server's own SDK calls (DVC pushes,
weights downloads, deletes) read it, and every training process, spares included, is started
later with a copy of it, so all of them agree on the retry limits and the config file.
"""

import os
from collections.abc import Iterable

from loguru import logger

from server.clearml.bounded import check_clearml
from server.clearml.config import worker_env, write_config
from server.errors import Unavailable
from server.settings import Settings
from server.status import Component, ComponentCheck
from server.storage.s3 import S3Config, check_s3, ensure_bucket, retry_env, s3_configured

OBJECT_STORAGE = "object_storage"
CLEARML = "clearml"


def prepare_backends(settings: Settings) -> list[ComponentCheck]:
    """Configure S3 and ClearML when set; return the status checks of the configured ones."""
    checks: list[ComponentCheck] = []
    if s3_configured(settings):
        prepare_s3(settings)
        checks.append(lambda: _object_storage(settings))
    if settings.clearml_enabled:
        prepare_clearml(settings)
        checks.append(lambda: _clearml(settings))
    return checks


def prepare_s3(settings: Settings) -> None:
    """Bound botocore's retries process-wide and create the bucket (an outage only warns)."""
    os.environ.update(retry_env())
    config = S3Config.from_settings(settings)  # ValueError: a misconfiguration stops startup
    try:
        if ensure_bucket(config):
            logger.info("created S3 bucket {!r} at {}", config.bucket, config.endpoint)
    except Unavailable as error:
        logger.warning("object storage not ready at startup (retried on use): {}", error)


def prepare_clearml(settings: Settings) -> None:
    """Write `clearml.conf` and point this process (and its training workers) at it."""
    if not settings.clearml_project.strip():
        raise ValueError("MLSERVICE_CLEARML_PROJECT must not be empty in ClearML mode")
    path = write_config(settings)
    os.environ.update(worker_env(settings))
    logger.info(
        "ClearML mode: API server {}, project {!r}, config {}",
        settings.clearml_api_host, settings.clearml_project, path.name,
    )  # fmt: skip


def _object_storage(settings: Settings) -> Iterable[Component]:
    yield Component(OBJECT_STORAGE, *check_s3(settings))


def _clearml(settings: Settings) -> Iterable[Component]:
    yield Component(CLEARML, *check_clearml(settings.clearml_api_host))
