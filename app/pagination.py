"""Keyset pagination: an opaque cursor holding the last row's sort key, never OFFSET."""

import base64
import json

from app.errors import Invalid
from app.i18n import _


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
    if not isinstance(values, list) or len(values) != size:
        raise Invalid(_("The page cursor is not valid; start from the first page."))
    return values


def cursor_int(value) -> int:
    """A cursor's numeric part, or Invalid: a hand-edited cursor is a 400, never a 500."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
    if not 0 <= number < 2**63:
        raise Invalid(_("The page cursor is not valid; start from the first page."))
    return number
