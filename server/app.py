"""Builds the gRPC server from the settings: stores, handlers, health, reflection, status."""

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from loguru import logger

from server.auth import TokenAuthInterceptor
from server.clearml.startup import prepare_backends
from server.datasets.servicer import DatasetServicer
from server.datasets.store import DvcDatasetStore
from server.gen import (
    datasets_pb2,
    datasets_pb2_grpc,
    models_pb2,
    models_pb2_grpc,
    status_pb2,
    status_pb2_grpc,
)
from server.interceptors import ErrorInterceptor
from server.metrics.runtime import ServerMetricsRuntime
from server.models.clearml_registry import ClearMLModelRegistry
from server.models.manager import ModelManager
from server.models.ports import ModelRegistry
from server.models.registry import LocalModelRegistry
from server.models.servicer import REQUEST_PARSERS, ModelServicer
from server.settings import Settings
from server.status import Component, StatusReporter, StatusServicer

SERVICE_NAMES = (
    models_pb2.DESCRIPTOR.services_by_name["ModelService"].full_name,
    datasets_pb2.DESCRIPTOR.services_by_name["DatasetService"].full_name,
    status_pb2.DESCRIPTOR.services_by_name["StatusService"].full_name,
    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
    reflection.SERVICE_NAME,
)


@dataclass
class App:
    """A built, not yet started, server with the parts that need starting and stopping."""

    server: grpc.aio.Server
    port: int
    models: ModelManager
    reporter: StatusReporter
    metrics: ServerMetricsRuntime | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Recover stored state, start serving and the periodic health check."""
        if self.metrics is not None:
            self.metrics.start()
        await self.models.start()
        await self.reporter.components()
        await self.server.start()
        self.tasks.append(asyncio.create_task(self.reporter.watch()))
        logger.info("gRPC server listening on port {}", self.port)

    async def stop(self, grace: float) -> None:
        """Stop accepting calls, let in-flight ones finish within `grace`, stop the workers."""
        logger.info("shutting down (grace {} s)", grace)
        await self.reporter.health.enter_graceful_shutdown()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.server.stop(grace)
        await self.models.stop()
        if self.metrics is not None:
            self.metrics.stop()
        logger.info("stopped")


def _dataset_checks(store: DvcDatasetStore) -> Iterable[Component]:
    state, message = store.check()
    yield Component("dataset_store", state, message)
    state, message = store.check_remote()
    yield Component("dataset_remote", state, message)


def _counts(store: DvcDatasetStore, models: ModelManager) -> status_pb2.Counts:
    datasets, versions = store.counts()
    by_state = models.counts()
    return status_pb2.Counts(
        datasets=datasets,
        dataset_versions=versions,
        models=sum(by_state.values()),
        models_by_state=by_state,
    )


def model_registry(settings: Settings) -> ModelRegistry:
    """ClearML's when `CLEARML_API_HOST` is set, else the embedded one (the default)."""
    if settings.clearml_enabled:
        return ClearMLModelRegistry(settings)
    return LocalModelRegistry(settings.models_dir)


def build(settings: Settings) -> App:
    """Wire every part from one settings object (already resolved to absolute paths)."""
    limit = settings.max_message_bytes
    interceptors: list[grpc.aio.ServerInterceptor] = [ErrorInterceptor(REQUEST_PARSERS)]
    if settings.api_token:
        interceptors.insert(0, TokenAuthInterceptor(settings.api_token))
    metrics = ServerMetricsRuntime(settings, SERVICE_NAMES)
    interceptors[:0] = metrics.interceptors()  # first: it sees every call's final status
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
        ],
    )
    backend_checks = prepare_backends(settings)  # S3 and ClearML set up before any use
    store = DvcDatasetStore(settings)
    models = ModelManager(settings, store, model_registry(settings))
    reporter = StatusReporter(
        checks=[
            lambda: _dataset_checks(store),
            lambda: [Component(*c) for c in models.check()],
            *backend_checks,
        ],
        counts=lambda: _counts(store, models),
        metrics=metrics,
    )
    models_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(models), server)
    datasets_pb2_grpc.add_DatasetServiceServicer_to_server(DatasetServicer(store, settings), server)
    status_pb2_grpc.add_StatusServiceServicer_to_server(StatusServicer(reporter), server)
    health_pb2_grpc.add_HealthServicer_to_server(reporter.health, server)
    reflection.enable_server_reflection(SERVICE_NAMES, server)
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    return App(server=server, port=port, models=models, reporter=reporter, metrics=metrics)
