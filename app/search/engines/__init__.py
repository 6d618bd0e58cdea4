"""The two search engines, one interface: `match` (the newest window of matches with their rank)
and `snippets`. Each turns the same parsed query tree into its own expression."""

from sqlmodel import Session

from app.search.engines.postgres import PostgresEngine
from app.search.engines.sqlite import SQLiteEngine


def engine_for(session: Session):
    return SQLiteEngine() if session.get_bind().dialect.name == "sqlite" else PostgresEngine()


__all__ = ["PostgresEngine", "SQLiteEngine", "engine_for"]
