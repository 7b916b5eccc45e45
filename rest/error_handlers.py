"""Connexion error handlers: every error leaves as a `google.rpc.Status` JSON body."""

import traceback

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from loguru import logger
from starlette.exceptions import HTTPException
from starlette.responses import Response

from rest.errors import ApiError, Code, grpc_code


def status_response(error: ApiError, headers: dict[str, str] | None = None) -> ConnexionResponse:
    """The HTTP response of an `ApiError`."""
    return ConnexionResponse(
        status_code=error.status,
        mimetype="application/json",
        content_type="application/json",
        body=error.body(),
        headers=headers or {},
    )


def error_response(error: ApiError) -> Response:
    """The same response as a Starlette one, for code outside Connexion's chain."""
    return Response(error.body(), status_code=error.status, media_type="application/json")


def api_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Errors of the proxy and of the gRPC server."""
    assert isinstance(error, ApiError)
    return status_response(error)


def http_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Routing (404, 405) and Connexion validation problems (400, 415, ...)."""
    assert isinstance(error, HTTPException)
    title = getattr(error, "title", None)
    message = str(error.detail or title or "error")
    status = error.status_code
    api = ApiError(grpc_code(status), message, status=status)
    return status_response(api, dict(error.headers or {}))


def internal_error(error: Exception) -> ApiError:
    """A bug: logged with its traceback, answered INTERNAL with a generic message."""
    # Plain traceback text: loguru's own rendering may show local values (headers, tokens).
    trace = "".join(traceback.format_exception(error))
    logger.error("unexpected error in the REST proxy\n{}", trace)
    return ApiError(Code.INTERNAL, "internal error")


def unexpected_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Bugs: logged with their traceback, answered INTERNAL with a generic message."""
    return status_response(internal_error(error))


def register(app: AsyncApp) -> None:
    """Install the handlers on a Connexion app."""
    app.add_error_handler(ApiError, api_error)
    app.add_error_handler(ProblemException, http_error)
    app.add_error_handler(HTTPException, http_error)
    app.add_error_handler(Exception, unexpected_error)
