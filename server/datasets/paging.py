"""Request limits: page sizes, opaque page tokens and preview sizes."""

import base64
import binascii

from server.errors import FieldViolation, InvalidArgument
from server.names import ID_PATTERN

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
DEFAULT_PREVIEW_ROWS = 10
MAX_PREVIEW_ROWS = 1000


def bounded(value: int, field: str, default: int, maximum: int) -> int:
    """`default` for 0, at most `maximum`; INVALID_ARGUMENT when negative."""
    if value < 0:
        raise InvalidArgument(f"{field} must not be negative", [FieldViolation(field, "< 0")])
    return min(value or default, maximum)


def non_negative(value: int, field: str) -> int:
    """`value` itself; INVALID_ARGUMENT when negative."""
    if value < 0:
        raise InvalidArgument(f"{field} must not be negative", [FieldViolation(field, "< 0")])
    return value


def encode_token(last_id: str) -> str:
    """The opaque token for the page after `last_id`."""
    return base64.urlsafe_b64encode(last_id.encode()).decode()


def decode_token(token: str, field: str = "page_token") -> str:
    """The id a token continues after ("" for no token); INVALID_ARGUMENT when malformed."""
    if not token:
        return ""
    try:
        last_id = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        last_id = ""
    if not ID_PATTERN.fullmatch(last_id):
        raise InvalidArgument(
            "invalid page token", [FieldViolation(field, "not a token returned by a previous call")]
        )
    return last_id
