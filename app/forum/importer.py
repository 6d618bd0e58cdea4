"""`forum import FILE`: years of discussion from mailing lists and older platforms, with their dates.

A JSON-lines archive, one object a line:

    {"user": {"email": "ana@example.org", "name": "Ana Gómez", "organisation": "...", "country": "ES"}}
    {"thread": {"title": "...", "sector": "tobacco", "jurisdictions": ["ES"], "instruments": [],
                "tags": [], "author": "ana@example.org", "created_at": "2019-03-04T09:30:00Z",
                "body": "...", "replies": [{"author": "...", "created_at": "...", "body": "...",
                                             "replies": [...]}]}}

Members are matched by email; a member the forum does not know yet comes from a "user" line (with
a random password: they sign in after a password reset). Each line is one transaction through the
same service functions as the API (an administrator's import: audited, notifying nobody), so a
line is written whole or not at all, and a refused line names its number and the reason."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from app.accounts import users as users_service
from app.accounts.models import User
from app.db import Database
from app.errors import AppError, NotFound, ValidationFailed
from app.forum import actions
from app.forum.schemas import ThreadCreate
from app.i18n import _
from app.security import new_token

MAX_DEPTH = 50


@dataclass
class ImportReport:
    users: int = 0
    threads: int = 0
    posts: int = 0
    errors: list[str] = field(default_factory=list)


def _member(session: Session, email: str) -> User:
    user = users_service.get_user_by_email(session, email or "")
    if user is None:
        raise NotFound(_('no member with the email address %(email)s (add a "user" line first)', email=email))
    return user


def _date(value) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            {"created_at": _("needs an ISO 8601 date and time, not “%(v)s”", v=value)}
        ) from None


def _replies(
    session: Session, admin: User, thread_id: int, parent_id: int | None, replies, depth: int
) -> int:
    if depth > MAX_DEPTH:
        raise ValidationFailed({"replies": _("replies nest deeper than %(n)d levels", n=MAX_DEPTH)})
    count = 0
    for item in replies or []:
        post = actions.reply(
            session,
            admin,
            thread_id,
            item.get("body", ""),
            parent_id,
            created_at=_date(item.get("created_at")),
            author=_member(session, item.get("author", "")),
        )
        count += 1 + _replies(session, admin, thread_id, post.id, item.get("replies"), depth + 1)
    return count


def _line(session: Session, admin: User, record: dict, report: ImportReport) -> None:
    if "user" in record:
        item = record["user"]
        if users_service.get_user_by_email(session, item.get("email", "")) is None:
            users_service.create_user(
                session,
                email=item.get("email", ""),
                name=item.get("name", ""),
                password=new_token(),
                organisation=item.get("organisation", ""),
                country=item.get("country", ""),
            )
            report.users += 1
        return
    if "thread" not in record:
        raise ValidationFailed({"line": _('each line holds a "user" or a "thread"')})
    item = record["thread"]
    data = ThreadCreate(
        **{
            key: item[key]
            for key in ("title", "body", "sector", "jurisdictions", "instruments", "tags")
            if key in item
        },
        created_at=_date(item.get("created_at")),
    )
    thread = actions.create_thread(session, admin, data, author=_member(session, item.get("author", "")))
    # A reply without a parent answers the opening post.
    report.posts += 1 + _replies(session, admin, thread.id, None, item.get("replies"), 1)
    report.threads += 1


def import_archive(database: Database, admin_email: str, lines: Iterable[str]) -> ImportReport:
    """Load every line in a transaction of its own; refused lines are reported, the rest kept."""
    report = ImportReport()
    with database.unit_of_work(write=False) as session:
        admin = _member(session, admin_email)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError
        except ValueError:
            report.errors.append(f"line {number}: " + _("not a JSON object"))
            continue
        before = (report.users, report.threads, report.posts)
        try:
            with database.unit_of_work() as session:
                _line(session, admin, record, report)
        except ValidationFailed as error:
            report.users, report.threads, report.posts = before
            details = "; ".join(f"{name}: {message}" for name, message in error.errors.items())
            report.errors.append(f"line {number}: {details}")
        except (AppError, ValidationError) as error:
            report.users, report.threads, report.posts = before
            message = error.message if isinstance(error, AppError) else str(error).splitlines()[0]
            report.errors.append(f"line {number}: {message}")
    return report
