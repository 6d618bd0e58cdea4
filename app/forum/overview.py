"""The forum at a glance: the home page's sectors and the coverage table (sector by jurisdiction)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.cache import kept
from app.forum.models import (
    Thread,
    ThreadJurisdiction,
)
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Sector


@dataclass
class SectorSummary:
    sector: Sector
    thread_count: int
    last_activity_at: datetime | None


def sector_summaries(session: Session) -> list[SectorSummary]:
    """Thread counts and latest activity per sector. The grouped query reads every thread, so its
    answer is kept until the forum's version moves (app.cache.kept)."""

    def count() -> dict[int, tuple[int, datetime | None]]:
        return {
            row[0]: (row[1], row[2])
            for row in session.exec(
                select(Thread.sector_id, func.count(), func.max(Thread.last_activity_at))
                .where(Thread.merged_into_id.is_(None))
                .group_by(Thread.sector_id)
            ).all()
        }

    counts = kept(session, ("sector-summaries",), count)
    return [
        SectorSummary(sector, *counts.get(sector.id, (0, None))) for sector in taxonomy.list_sectors(session)
    ]


def coverage(session: Session, all_jurisdictions: bool = False):
    """Thread counts crossing sectors with jurisdictions, in one grouped query."""
    rows = session.exec(
        select(Thread.sector_id, ThreadJurisdiction.jurisdiction_id, func.count())
        .join(ThreadJurisdiction, ThreadJurisdiction.thread_id == Thread.id)
        .where(Thread.merged_into_id.is_(None))
        .group_by(Thread.sector_id, ThreadJurisdiction.jurisdiction_id)
    ).all()
    cells = {(sector_id, jurisdiction_id): count for sector_id, jurisdiction_id, count in rows}
    sectors = taxonomy.list_sectors(session)
    used = {jurisdiction_id for _sector, jurisdiction_id in cells}
    jurisdictions = [j for j in taxonomy.list_jurisdictions(session) if all_jurisdictions or j.id in used]
    return sectors, jurisdictions, cells
