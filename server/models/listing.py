"""ListModels: filters, page size and opaque page tokens (ordered by model id)."""

import base64
import binascii
import json
from dataclasses import dataclass

from server.errors import FieldViolation, InvalidArgument
from server.models.records import ModelRecord, ModelState

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class ListQuery:
    """What to list: a page, optionally only models in a state or of a class."""

    page_size: int = 0
    page_token: str = ""
    state: ModelState | None = None
    model_class: str = ""


def page_size(requested: int) -> int:
    """0 means the default; more than the maximum is capped; negative is invalid."""
    if requested < 0:
        raise InvalidArgument(
            "invalid page_size", [FieldViolation("page_size", f"must be >= 0, got {requested}")]
        )
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _filters(query: ListQuery) -> list[str]:
    return [query.state.value if query.state else "", query.model_class]


def encode_token(last_id: str, query: ListQuery) -> str:
    """An opaque token: the last id returned and the filters it belongs to."""
    raw = json.dumps({"after": last_id, "filters": _filters(query)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(query: ListQuery) -> str:
    """The id to list after ("" for the first page); INVALID_ARGUMENT for a foreign token."""
    if not query.page_token:
        return ""
    try:
        padded = query.page_token + "=" * (-len(query.page_token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["filters"] != _filters(query) or not isinstance(data["after"], str):
            raise ValueError
        return str(data["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidArgument(
            "invalid page_token",
            [
                FieldViolation(
                    "page_token", "is not a token from a previous call with these filters"
                )
            ],
        ) from None


def select_page(models: list[ModelRecord], query: ListQuery) -> tuple[list[ModelRecord], str]:
    """The page of `models` (sorted by id) the query asks for, and the next page's token."""
    size = page_size(query.page_size)
    after = decode_token(query)
    matching = [
        m
        for m in models
        if m.model_id > after
        and (query.state is None or m.latest.state is query.state)
        and (not query.model_class or m.latest.model_class == query.model_class)
    ]
    page = matching[:size]
    token = encode_token(page[-1].model_id, query) if len(matching) > size else ""
    return page, token
