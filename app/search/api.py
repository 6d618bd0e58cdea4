"""/api/v1/search and saved searches."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.db import SessionDep
from app.deps import CsrfProtected, CurrentUser
from app.openapi import COMMON_ERRORS
from app.search import saved, service
from app.search.schemas import SearchParams
from app.timeutil import iso

router = APIRouter(tags=["search"], dependencies=[CsrfProtected], responses=COMMON_ERRORS)


def result_json(result: service.SearchResult) -> dict:
    return {
        "query": result.query,
        "total": result.total,
        # How many of the total hold every word; the others (items with "partial": true, after
        # them) hold all but one. Partial matches are shown only when few posts hold every word.
        "matched_all": result.matched_all,
        # True when more posts match than the window looked at: the total is a lower bound.
        "truncated": result.truncated,
        "items": [
            {
                "thread_id": h.thread_id,
                "post_id": h.post_id,
                "title": h.title,
                "snippet_html": h.snippet_html,
                "url": h.url,
                "sector": h.sector_slug,
                "jurisdictions": h.jurisdictions,
                "author": h.author,
                "created_at": iso(h.created_at),
                "state": h.state,
                "partial": h.partial,
            }
            for h in result.hits
        ],
        "facets": {
            name: [{"key": f.key, "label": f.label, "count": f.count, "query": f.query} for f in facets]
            for name, facets in result.facets.items()
        },
        "next_cursor": result.next_cursor,
    }


@router.get("/search")
def search(session: SessionDep, user: CurrentUser, params: Annotated[SearchParams, Query()]):
    return result_json(service.search(session, user, params.q, **params.options()))


class SavedIn(BaseModel):
    q: str = Field(max_length=500)
    name: str = Field(default="", max_length=200)


@router.get("/saved-searches")
def list_saved(session: SessionDep, user: CurrentUser):
    return {
        "items": [
            {"id": s.id, "name": s.name, "q": s.query, "created_at": iso(s.created_at)}
            for s in saved.list_saved(session, user)
        ],
        "next_cursor": None,
    }


@router.post("/saved-searches", status_code=201)
def create_saved(session: SessionDep, user: CurrentUser, data: SavedIn):
    item = saved.save(session, user, data.q, data.name)
    return {"id": item.id, "name": item.name, "q": item.query, "created_at": iso(item.created_at)}


@router.delete("/saved-searches/{saved_id}", status_code=204)
def delete_saved(session: SessionDep, user: CurrentUser, saved_id: int):
    saved.delete(session, user, saved_id)
