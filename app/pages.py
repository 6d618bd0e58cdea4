"""Site-wide pages: home, search box target, health check."""

from fastapi import APIRouter

from app.db import SessionDep

router = APIRouter()


@router.get("/healthz", name="health", include_in_schema=False)
def health(session: SessionDep):
    session.connection().exec_driver_sql("SELECT 1")
    return {"status": "ok"}
