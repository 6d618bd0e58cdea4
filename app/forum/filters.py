"""The conditions that narrow a statement to threads of a sector, a jurisdiction, an instrument or a
tag, as the thread list and the document library both filter by them. Unknown names raise NotFound
(the taxonomy's lookups), except a tag, which no thread may hold yet."""

from sqlalchemy import ColumnElement, false
from sqlmodel import Session, select

from app.forum.models import Thread, ThreadInstrument, ThreadJurisdiction, ThreadTag
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Tag


def thread_conditions(
    session: Session,
    *,
    sector: str | None = None,
    jurisdiction: str | None = None,
    instrument: str | None = None,
    tag: str | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses on `Thread` for each filter given; the thread's taxonomy as it is now (a
    moderator may have changed it since a post was written)."""
    conditions: list[ColumnElement[bool]] = []
    if sector:
        conditions.append(Thread.sector_id == taxonomy.sector_by_slug(session, sector).id)
    if jurisdiction:
        found = taxonomy.jurisdiction_by_code(session, jurisdiction)
        conditions.append(
            Thread.id.in_(
                select(ThreadJurisdiction.thread_id).where(ThreadJurisdiction.jurisdiction_id == found.id)
            )
        )
    if instrument:
        found = taxonomy.instrument_by_slug(session, instrument)
        conditions.append(
            Thread.id.in_(
                select(ThreadInstrument.thread_id).where(ThreadInstrument.instrument_id == found.id)
            )
        )
    if tag:
        found = session.exec(select(Tag).where(Tag.name == taxonomy.normalise_tag(tag))).first()
        # A tag nobody has used yet matches nothing.
        conditions.append(
            Thread.id.in_(select(ThreadTag.thread_id).where(ThreadTag.tag_id == found.id))
            if found is not None
            else false()
        )
    return conditions
