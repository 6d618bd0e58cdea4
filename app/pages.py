"""Site-wide pages: home, search box target, health check."""

from fastapi import APIRouter, Request

from app.db import SessionDep
from app.deps import CurrentUser
from app.web import render

router = APIRouter()


@router.get("/search", name="search_page")
def search_page(request: Request, user: CurrentUser, q: str = ""):
    return render(request, "search/search.html", {"q": q[:500]})


@router.get("/healthz", name="health", include_in_schema=False)
def health(session: SessionDep):
    session.connection().exec_driver_sql("SELECT 1")
    return {"status": "ok"}
