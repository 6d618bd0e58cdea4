"""The search page, the advanced form, and saved searches."""

from urllib.parse import urlencode

from fastapi import APIRouter, Request

from app.accounts.permissions import is_moderator
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError
from app.i18n import _
from app.search import saved, service
from app.search.query import unparse_value
from app.taxonomy import service as taxonomy
from app.web import FormStr, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


def _taxonomy(session) -> dict:
    return {
        "sectors": taxonomy.list_sectors(session),
        "jurisdictions": taxonomy.list_jurisdictions(session),
        "instruments": taxonomy.list_instruments(session),
    }


@router.get("/search", name="search_page")
def search_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
    sort: str = "relevance",
    cursor: str | None = None,
    include_hidden: bool = False,
):
    context = {
        "q": q,
        "sort": sort,
        "include_hidden": include_hidden,
        "can_include_hidden": is_moderator(user),
    }
    if not q.strip():
        return render(request, "search/search.html", {**context, **_taxonomy(session)})
    try:
        result = service.search(session, user, q, sort=sort, cursor=cursor, include_hidden=include_hidden)
    except AppError as error:
        return render(
            request,
            "search/search.html",
            {**context, "error": error.message, **_taxonomy(session)},
            status_code=400,
        )
    return render(request, "search/search.html", {**context, "result": result})


@router.get("/search/advanced", name="advanced_search")
def advanced_search(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    all_words: str = "",
    phrase: str = "",
    any_words: str = "",
    none_words: str = "",
    sector: str = "",
    jurisdiction: str = "",
    instrument: str = "",
    tag: str = "",
    kind: str = "",
    author: str = "",
    after: str = "",
    before: str = "",
    where: str = "",
    has_attachment: str = "",
    status: str = "",
    sort: str = "relevance",
):
    """The advanced form builds the same query a person could type, then shows it."""
    parts = [w for w in all_words.split() if w]
    if phrase.strip():
        parts.append('"' + phrase.replace('"', " ").strip() + '"')
    alternatives = [w for w in any_words.split() if w]
    if len(alternatives) > 1:
        parts.append("(" + " OR ".join(alternatives) + ")")
    elif alternatives:
        parts.append(alternatives[0])
    parts += ["-" + w for w in none_words.split() if w]
    for key, value in (
        ("sector", sector),
        ("jurisdiction", jurisdiction),
        ("instrument", instrument),
        ("tag", tag),
        ("kind", kind),
        ("author", author),
        ("after", after),
        ("before", before),
        ("status", status),
    ):
        if value.strip():
            parts.append(f"{key}:{unparse_value(value.strip())}")
    if where in ("title", "attachments"):
        parts.append(f"in:{where}")
    if has_attachment:
        parts.append("has:attachment")

    return redirect(request, "/search?" + urlencode({"q": " ".join(parts), "sort": sort}))


@router.post("/search/saved", name="save_search")
def save_search(
    request: Request, session: SessionDep, user: CurrentUser, q: FormStr = "", name: FormStr = ""
):
    try:
        with session.begin_nested():
            saved.save(session, user, q, name)
    except AppError as error:
        return redirect(request, "/search/saved", error.message, "error")
    return redirect(request, "/search/saved", _("Search saved: new matches will reach your notifications."))


@router.get("/search/saved", name="saved_searches")
def saved_searches(request: Request, session: SessionDep, user: CurrentUser):
    return render(request, "search/saved.html", {"items": saved.list_saved(session, user)})


@router.post("/search/saved/{saved_id}/delete", name="delete_saved_search")
def delete_saved_search(request: Request, session: SessionDep, user: CurrentUser, saved_id: int):
    saved.delete(session, user, saved_id)
    return redirect(request, "/search/saved", _("The saved search was deleted."))
