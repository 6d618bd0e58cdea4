"""HTML routes for reading the forum by its structure: home, all threads, a sector, a jurisdiction,
an instrument, a tag, and the coverage table."""

from fastapi import APIRouter, Request
from markupsafe import Markup

from app.cache import kept
from app.db import SessionDep, sqlite_reads_inline
from app.deps import CsrfProtected, CurrentUser
from app.forum import overview, queries
from app.i18n import _
from app.notifications import service as notifications
from app.taxonomy import service as taxonomy
from app.web import render, templates

router = APIRouter(dependencies=[CsrfProtected])


# --- Lists ---------------------------------------------------------------------------------------


def _list_page(
    request: Request,
    session,
    user,
    filters: queries.ThreadFilters,
    heading: str,
    cursor: str | None,
    watch: tuple[str, str, int] | None = None,
    description: str = "",
    with_filters: bool = False,
):
    views, next_cursor = queries.list_threads(session, user, filters, cursor)
    watching = watch is not None and notifications.is_watching(session, user, watch[0], watch[2])
    return render(
        request,
        "forum/list.html",
        {
            "heading": heading,
            "description": description,
            "threads": views,
            "next_cursor": next_cursor,
            "filters": filters,
            "watch": watch,
            "watching": watching,
            # The filter form's choices (259 jurisdictions) only on the list that has the form.
            "with_filters": with_filters,
            "sectors": taxonomy.list_sectors(session) if with_filters else [],
            "jurisdictions": taxonomy.list_jurisdictions(session) if with_filters else [],
            "instruments": taxonomy.list_instruments(session) if with_filters else [],
        },
    )


@router.get("/", name="home")
@sqlite_reads_inline
def home(request: Request, session: SessionDep, user: CurrentUser):
    recent, _cursor = queries.list_threads(session, user, queries.ThreadFilters(), limit=10)
    return render(
        request, "forum/home.html", {"summaries": overview.sector_summaries(session), "recent": recent}
    )


@router.get("/threads", name="threads")
@sqlite_reads_inline
def threads(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    sector: str = "",
    jurisdiction: str = "",
    instrument: str = "",
    tag: str = "",
    cursor: str | None = None,
):
    filters = queries.ThreadFilters(
        sector=sector or None,
        jurisdiction=jurisdiction or None,
        instrument=instrument or None,
        tag=tag or None,
    )
    return _list_page(request, session, user, filters, _("All threads"), cursor, with_filters=True)


@router.get("/s/{slug}", name="sector_page")
@sqlite_reads_inline
def sector_page(
    request: Request, session: SessionDep, user: CurrentUser, slug: str, cursor: str | None = None
):
    sector = taxonomy.sector_by_slug(session, slug)
    return _list_page(
        request,
        session,
        user,
        queries.ThreadFilters(sector=slug),
        sector.name,
        cursor,
        watch=("sector", sector.slug, sector.id),
        description=sector.description,
    )


@router.get("/j/{code}", name="jurisdiction_page")
@sqlite_reads_inline
def jurisdiction_page(
    request: Request, session: SessionDep, user: CurrentUser, code: str, cursor: str | None = None
):
    jurisdiction = taxonomy.jurisdiction_by_code(session, code)
    return _list_page(
        request,
        session,
        user,
        queries.ThreadFilters(jurisdiction=code),
        jurisdiction.name,
        cursor,
        watch=("jurisdiction", jurisdiction.code, jurisdiction.id),
    )


@router.get("/i/{slug}", name="instrument_page")
@sqlite_reads_inline
def instrument_page(
    request: Request, session: SessionDep, user: CurrentUser, slug: str, cursor: str | None = None
):
    instrument = taxonomy.instrument_by_slug(session, slug)
    return _list_page(request, session, user, queries.ThreadFilters(instrument=slug), instrument.name, cursor)


@router.get("/tag/{name}", name="tag_page")
@sqlite_reads_inline
def tag_page(request: Request, session: SessionDep, user: CurrentUser, name: str, cursor: str | None = None):
    return _list_page(
        request,
        session,
        user,
        queries.ThreadFilters(tag=name),
        _("Tagged “%(tag)s”", tag=taxonomy.normalise_tag(name)),
        cursor,
    )


@router.get("/coverage", name="coverage")
@sqlite_reads_inline
def coverage(request: Request, session: SessionDep, user: CurrentUser, all: bool = False):
    # The table (thousands of cells over every thread) is the same for every member: rendered once
    # and kept until the forum's version moves.
    table = kept(session, ("coverage-table", all), lambda: _coverage_table(session, all))
    return render(request, "forum/coverage.html", {"table": table, "show_all": all})


def _coverage_table(session, show_all: bool) -> Markup:
    sectors, jurisdictions, cells = overview.coverage(session, all_jurisdictions=show_all)
    # Pairs of (jurisdiction code, count) per sector, built here: thousands of cells render faster
    # from a plain list than from lookups in the template.
    rows = [
        (sector, [(j.code, cells.get((sector.id, j.id), 0)) for j in jurisdictions]) for sector in sectors
    ]
    template = templates.env.get_template("forum/_coverage_table.html")
    html = template.render(rows=rows, jurisdictions=jurisdictions)
    return Markup(html)  # noqa: S704  (autoescaped template output)
