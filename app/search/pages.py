"""The search page, the advanced form, and saved searches."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from app.accounts.permissions import is_moderator
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError
from app.i18n import _
from app.search import saved, service
from app.search.query import advanced_query
from app.search.schemas import AdvancedSearch, SearchParams
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
    request: Request, session: SessionDep, user: CurrentUser, params: Annotated[SearchParams, Query()]
):
    context = {
        "q": params.q,
        "sort": params.sort,
        "include_hidden": params.include_hidden,
        "can_include_hidden": is_moderator(user),
    }
    if not params.q.strip():
        return render(request, "search/search.html", {**context, **_taxonomy(session)})
    try:
        result = service.search(session, user, params.q, **params.options())
    except AppError as error:
        return render(
            request,
            "search/search.html",
            {**context, "error": error.message, **_taxonomy(session)},
            status_code=400,
        )
    return render(request, "search/search.html", {**context, "result": result})


@router.get("/search/advanced", name="advanced_search")
def advanced_search(request: Request, user: CurrentUser, form: Annotated[AdvancedSearch, Query()]):
    """The advanced form builds the same query a person could type, then shows it (members only,
    as every page)."""
    return redirect(request, "/search?" + urlencode({"q": advanced_query(form), "sort": form.sort}))


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
