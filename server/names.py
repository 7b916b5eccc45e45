"""Resource names (`models/{id}`, `datasets/{id}`) and the id rule they share."""

import re

from server.errors import FieldViolation, InvalidArgument

ID_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,62}")
ID_RULE = "must match [a-z][a-z0-9-]{0,62}"


def check_id(value: str, field: str) -> str:
    """Return `value` when it is a valid id, else raise INVALID_ARGUMENT naming `field`."""
    if not ID_PATTERN.fullmatch(value):
        shown = value if len(value) <= 70 else value[:67] + "..."
        raise InvalidArgument(
            f"invalid {field} {shown!r}", [FieldViolation(field, f"{ID_RULE}, got {shown!r}")]
        )
    return value


def parse_name(name: str, collection: str, field: str = "name") -> str:
    """Return the id of a resource name such as `models/iris`; INVALID_ARGUMENT otherwise."""
    prefix = f"{collection}/"
    if not name.startswith(prefix):
        raise InvalidArgument(
            f"invalid {field} {name[:70]!r}",
            [FieldViolation(field, f"must look like '{prefix}{{id}}'")],
        )
    return check_id(name[len(prefix) :], field)


def model_name(model_id: str) -> str:
    """Return the resource name of a model id."""
    return f"models/{model_id}"


def dataset_name(dataset_id: str) -> str:
    """Return the resource name of a dataset id."""
    return f"datasets/{dataset_id}"
