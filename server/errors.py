"""Domain errors: each carries the gRPC status code it maps to, and optional field violations.

Handlers raise these; one interceptor turns them into a `google.rpc.Status` (with
`google.rpc.BadRequest` details when there are field violations). Nothing else in the code
needs to know about gRPC status codes.
"""

from dataclasses import dataclass, field

import grpc


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: its path (e.g. `hyperparameters.C`) and what is wrong with it."""

    field: str
    description: str


@dataclass
class ServiceError(Exception):
    """An expected failure with a client-facing message and a gRPC status code."""

    message: str
    violations: list[FieldViolation] = field(default_factory=list)
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __str__(self) -> str:
        """Return the message followed by every violation."""
        if not self.violations:
            return self.message
        details = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        return f"{self.message}: {details}"


class InvalidArgument(ServiceError):
    """The request is malformed or names something invalid."""

    def __init__(self, message: str, violations: list[FieldViolation] | None = None) -> None:
        super().__init__(message, violations or [], grpc.StatusCode.INVALID_ARGUMENT)


class NotFound(ServiceError):
    """The named resource does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], grpc.StatusCode.NOT_FOUND)


class AlreadyExists(ServiceError):
    """A resource with that name already exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], grpc.StatusCode.ALREADY_EXISTS)


class FailedPrecondition(ServiceError):
    """The resource is not in a state that allows the operation."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], grpc.StatusCode.FAILED_PRECONDITION)


class ResourceExhausted(ServiceError):
    """A configured limit was exceeded."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], grpc.StatusCode.RESOURCE_EXHAUSTED)


class Unavailable(ServiceError):
    """A dependency (storage, remote, ClearML) cannot be reached right now."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], grpc.StatusCode.UNAVAILABLE)


def invalid_if_any(message: str, violations: list[FieldViolation]) -> None:
    """Raise `InvalidArgument` listing every violation, when there is at least one."""
    if violations:
        raise InvalidArgument(message, violations)
