"""Administrators' taxonomy page: add, rename, archive sectors, instruments and regional bodies."""

from fastapi import APIRouter, Request

from app.accounts import permissions
from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.errors import AppError, NotFound
from app.i18n import _
from app.taxonomy import service
from app.web import FormStr, redirect, render

router = APIRouter(dependencies=[CsrfProtected])


def _kind(kind: str) -> str:
    if kind not in service.TAXONOMY_MODELS:
        raise NotFound(_("Not found."))
    return kind


@router.get("/admin/taxonomy", name="taxonomy_admin")
def taxonomy_admin(request: Request, session: SessionDep, user: CurrentUser):
    permissions.check_can_manage_users(user)
    return render(
        request,
        "taxonomy/admin.html",
        {
            "sectors": service.list_sectors(session, include_archived=True),
            "instruments": service.list_instruments(session, include_archived=True),
            "regions": [
                j for j in service.list_jurisdictions(session, include_archived=True) if j.kind == "region"
            ],
        },
    )


@router.post("/admin/taxonomy/{kind}", name="taxonomy_add")
def taxonomy_add(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    kind: str,
    name: FormStr = "",
    key: FormStr = "",
    year: FormStr = "",
):
    try:
        with session.begin_nested():
            entry = service.add_entry(
                session,
                user,
                _kind(kind),
                name=name,
                key=key,
                year=int(year) if year.strip().isdecimal() else None,
            )
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        return redirect(request, "/admin/taxonomy", error.message, "error")
    return redirect(request, "/admin/taxonomy", _("“%(name)s” was added.", name=entry.name))


@router.post("/admin/taxonomy/{kind}/{entry_id}/rename", name="taxonomy_rename")
def taxonomy_rename(
    request: Request, session: SessionDep, user: CurrentUser, kind: str, entry_id: int, name: FormStr = ""
):
    try:
        with session.begin_nested():
            entry = service.rename_entry(session, user, _kind(kind), entry_id, name)
    except AppError as error:
        if error.status_code in (403, 404):
            raise
        return redirect(request, "/admin/taxonomy", error.message, "error")
    return redirect(request, "/admin/taxonomy", _("Renamed to “%(name)s”.", name=entry.name))


@router.post("/admin/taxonomy/{kind}/{entry_id}/archive", name="taxonomy_archive")
def taxonomy_archive(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    kind: str,
    entry_id: int,
    archived: FormStr = "1",
):
    entry = service.set_archived(session, user, _kind(kind), entry_id, archived == "1")
    message = _("“%(name)s” is archived.") if entry.archived else _("“%(name)s” is back in use.")
    return redirect(request, "/admin/taxonomy", message % {"name": entry.name})
