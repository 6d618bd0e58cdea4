"""What a thread title and a post body may be: the limits and the checks every write applies."""

from app.errors import ValidationFailed
from app.i18n import _

MAX_TITLE = 200


MAX_BODY = 100_000


def clean_title(title: str) -> str:
    return " ".join("".join(ch for ch in (title or "") if ch.isprintable()).split())


def check_body(body: str, field_name: str = "body") -> str:
    if not (body or "").strip():
        raise ValidationFailed({field_name: _("Write something first: the post is empty.")})
    if len(body) > MAX_BODY:
        raise ValidationFailed({field_name: _("A post can hold at most %(n)d characters.", n=MAX_BODY)})
    return body
