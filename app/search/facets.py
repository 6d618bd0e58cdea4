"""Facets: counts over the window of matches, each a link that narrows the query."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from app.search.query import Query
from app.taxonomy.models import Jurisdiction, Sector


@dataclass
class Facet:
    key: str
    label: str
    count: int
    query: str  # the query narrowed by this facet


def _narrow(raw: str, key: str, value: str) -> str:
    value = f'"{value}"' if any(ch.isspace() for ch in value) else value
    return f"{raw.strip()} {key}:{value}".strip()


FACET_SIZE = 15


def _top(counter: Counter) -> list[tuple[int, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE]


def facet_counts(session: Session, rows, raw: str, query: Query) -> dict[str, list[Facet]]:
    """Counts over the window's rows that narrow the query; a value already applied is not offered
    again."""
    applied_sectors = set(query.filters.sectors)
    applied_places = {value.lower() for value in query.filters.jurisdictions}
    sectors = _top(Counter(row.sector_id for row in rows))
    # Counted by the thread's whole list ("3,41") first: far fewer lists than rows to split.
    places: Counter = Counter()
    for ids, count in Counter(row.jurisdiction_ids for row in rows).items():
        for place_id in ids.split(",") if ids else ():
            places[int(place_id)] += count
    places = _top(places)
    sector_names = {
        sector_id: (slug, name)
        for sector_id, slug, name in session.execute(
            select(Sector.id, Sector.slug, Sector.name).where(Sector.id.in_([i for i, _n in sectors]))
        )
    }
    place_names = {
        place_id: (code, name)
        for place_id, code, name in session.execute(
            select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name).where(
                Jurisdiction.id.in_([i for i, _n in places])
            )
        )
    }
    facets = {
        "sector": [
            Facet(slug, name, count, _narrow(raw, "sector", slug))
            for sector_id, count in sectors
            for slug, name in [sector_names[sector_id]]
            if slug not in applied_sectors
        ],
        "jurisdiction": [
            Facet(code, name, count, _narrow(raw, "jurisdiction", code))
            for place_id, count in places
            for code, name in [place_names[place_id]]
            if code.lower() not in applied_places and name.lower() not in applied_places
        ],
        "year": [],
    }
    if not (query.filters.after or query.filters.before):
        years = Counter(row.created_at.year for row in rows)
        for year in sorted(years, reverse=True)[:FACET_SIZE]:
            label = str(year)
            narrowed = _narrow(_narrow(raw, "after", f"{label}-01-01"), "before", f"{year + 1}-01-01")
            facets["year"].append(Facet(label, label, years[year], narrowed))
    return facets
