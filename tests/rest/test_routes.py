"""Requests find the operation Connexion's router would route them to."""

import pytest

from rest.app import SPEC
from rest.routes import RouteTable, load_operations

ROUTES = RouteTable(load_operations(SPEC))


@pytest.mark.parametrize(
    ("method", "path", "operation", "params"),
    [
        ("POST", "/v1/models/iris:predict", "ModelService_Predict", {"model": "iris"}),
        ("POST", "/v1/models/iris:retrain", "ModelService_RetrainModel", {"model": "iris"}),
        ("GET", "/v1/models/iris", "ModelService_GetModel", {"model": "iris"}),
        # Starlette's `{model}` takes any segment: a GET of the predict path is a GetModel.
        ("GET", "/v1/models/iris:predict", "ModelService_GetModel", {"model": "iris:predict"}),
        ("DELETE", "/v1/datasets/d", "DatasetService_DeleteDataset", {"dataset": "d"}),
        ("GET", "/v1/models", "ModelService_ListModels", {}),
        ("POST", "/v1/datasets:upload", "DatasetService_UploadDataset", {}),
    ],
)
def test_requests_find_their_operation(
    method: str, path: str, operation: str, params: dict[str, str]
) -> None:
    found = ROUTES.find(method, path)
    assert found is not None
    route, path_params = found
    assert (route.operation_id, path_params) == (operation, params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("HEAD", "/v1/models"),  # Starlette answers it with the GET route; not the fast path
        ("PUT", "/v1/models"),
        ("GET", "/v1/models/"),
        ("GET", "/v1/models/a/b"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
    ],
)
def test_other_requests_find_nothing(method: str, path: str) -> None:
    assert ROUTES.find(method, path) is None
