"""ModelService over gRPC: unpack the request, call the manager, convert the answer back."""

from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2

from server.errors import FieldViolation, InvalidArgument
from server.gen import models_pb2, models_pb2_grpc
from server.models import convert, wire_answer
from server.models.listing import ListQuery
from server.models.manager import ModelManager
from server.models.requests import RetrainRequest, TrainRequest
from server.models.wire_rows import PREDICT_METHOD, RequestRows, read_predict_request
from server.names import parse_name

Context = grpc.aio.ServicerContext[Any, Any]
# Requests this service parses itself (the error interceptor applies them).
REQUEST_PARSERS = {PREDICT_METHOD: read_predict_request}


def hyperparameters_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """The hyperparameters as JSON values; INVALID_ARGUMENT for NaN or infinite numbers."""
    try:
        return json_format.MessageToDict(message)
    except ValueError:
        violation = FieldViolation(
            "hyperparameters", "numbers must be finite: NaN and Infinity have no JSON form"
        )
        raise InvalidArgument("invalid hyperparameters", [violation]) from None


class ModelServicer(models_pb2_grpc.ModelServiceServicer):
    """The gRPC face of `ModelManager`."""

    def __init__(self, manager: ModelManager) -> None:
        self._manager = manager

    async def ListModelClasses(
        self, request: models_pb2.ListModelClassesRequest, context: Context
    ) -> models_pb2.ListModelClassesResponse:
        """Every trainable class with its hyperparameter specs."""
        classes = [convert.model_class_message(c) for c in self._manager.list_classes()]
        return models_pb2.ListModelClassesResponse(model_classes=classes)

    async def TrainModel(
        self, request: models_pb2.TrainModelRequest, context: Context
    ) -> models_pb2.Model:
        """Validate, create the model and queue its first training."""
        model = await self._manager.train(
            TrainRequest(
                model_id=request.model_id,
                model_class=request.model_class,
                hyperparameters=hyperparameters_dict(request.hyperparameters),
                dataset_id=parse_name(request.dataset, "datasets", "dataset"),
                dataset_version=request.dataset_version,
                target_column=request.target_column,
                feature_columns=tuple(request.feature_columns),
                test_size=request.test_size,
                random_state=request.random_state,
            )
        )
        return convert.model_message(model)

    async def ListModels(
        self, request: models_pb2.ListModelsRequest, context: Context
    ) -> models_pb2.ListModelsResponse:
        """A page of models."""
        query = ListQuery(
            page_size=request.page_size,
            page_token=request.page_token,
            state=convert.state_filter(request.state),
            model_class=request.model_class,
        )
        models, token = self._manager.list_models(query)
        return models_pb2.ListModelsResponse(
            models=[convert.model_message(m) for m in models], next_page_token=token
        )

    async def GetModel(
        self, request: models_pb2.GetModelRequest, context: Context
    ) -> models_pb2.Model:
        """One model with every version."""
        return convert.model_message(self._manager.get(parse_name(request.name, "models")))

    async def RetrainModel(
        self, request: models_pb2.RetrainModelRequest, context: Context
    ) -> models_pb2.Model:
        """Queue a new version of a model."""
        hyperparameters = (
            hyperparameters_dict(request.hyperparameters)
            if request.HasField("hyperparameters")
            else None
        )
        model = await self._manager.retrain(
            RetrainRequest(
                model_id=parse_name(request.name, "models"),
                hyperparameters=hyperparameters,
                dataset_version=request.dataset_version,
                test_size=request.test_size,
                random_state=request.random_state,
            )
        )
        return convert.model_message(model)

    async def DeleteModel(
        self, request: models_pb2.DeleteModelRequest, context: Context
    ) -> empty_pb2.Empty:
        """Delete a model, its versions and weights."""
        await self._manager.delete(parse_name(request.name, "models"))
        return empty_pb2.Empty()

    async def Predict(self, request: RequestRows, context: Context) -> bytes:
        """Predict with the serving (or a chosen) version; the answer is sent as built."""
        message = request.request  # parsed by `read_predict_request` (REQUEST_PARSERS)
        prediction = await self._manager.predict(
            parse_name(message.name, "models"), message.version, request, message.engine
        )
        return wire_answer.response_bytes(prediction)
