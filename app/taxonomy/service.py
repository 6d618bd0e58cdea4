"""Taxonomy: lookups by stable key, tag normalisation, and the administrators' edits."""

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts import permissions
from app.accounts.models import User
from app.audit import record
from app.cache import kept
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import _
from app.search.index import reindex_entry
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag

MAX_TAGS = 10
TAG_PATTERN = re.compile(r"[^\w\- .'/&]+", re.UNICODE)


def normalise_tag(raw: str) -> str:
    """Lower-case, trimmed, inner white space collapsed, at most 60 characters."""
    text = unicodedata.normalize("NFKC", raw or "").lower()
    text = TAG_PATTERN.sub(" ", text)
    return " ".join(text.split())[:60].strip()


def parse_tags(raw: str | list[str] | None) -> list[str]:
    """Tags from a comma-separated string or a list: normalised, deduplicated, in order given."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    seen: list[str] = []
    for item in items:
        tag = normalise_tag(str(item))
        if tag and tag not in seen:
            seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise ValidationFailed({"tags": _("Use at most %(n)d tags.", n=MAX_TAGS)})
    return seen


def get_or_create_tags(session: Session, names: list[str]) -> list[Tag]:
    if not names:
        return []
    existing = {tag.name: tag for tag in session.exec(select(Tag).where(Tag.name.in_(names))).all()}
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        tags.append(tag)
    return tags


def list_sectors(session: Session, include_archived: bool = False) -> list[Sector]:
    statement = select(Sector).order_by(Sector.position, Sector.name)
    if not include_archived:
        statement = statement.where(Sector.archived.is_(False))
    return list(session.exec(statement).all())


def list_jurisdictions(session: Session, include_archived: bool = False) -> list[Jurisdiction]:
    # Regional and international bodies first: they are few and often wanted.
    statement = select(Jurisdiction).order_by(Jurisdiction.kind.desc(), Jurisdiction.name)
    if not include_archived:
        statement = statement.where(Jurisdiction.archived.is_(False))
    return list(session.exec(statement).all())


def list_instruments(session: Session, include_archived: bool = False) -> list[Instrument]:
    statement = select(Instrument).order_by(Instrument.year, Instrument.name)
    if not include_archived:
        statement = statement.where(Instrument.archived.is_(False))
    return list(session.exec(statement).all())


def sector_by_slug(session: Session, slug: str) -> "SectorRow":
    """From the kept taxonomy (no query while it is current); archived sectors included."""
    sector = maps(session).sector_slugs.get((slug or "").strip().lower())
    if sector is None:
        raise NotFound(_("No such sector: %(slug)s.", slug=slug))
    return sector


def jurisdiction_by_code(session: Session, code: str) -> "JurisdictionRow":
    """By ISO code or slug, case-insensitively ("fr", "FR", "European-Union")."""
    jurisdiction = maps(session).jurisdiction_codes.get((code or "").strip().lower())
    if jurisdiction is None:
        raise NotFound(_("No such jurisdiction: %(code)s.", code=code))
    return jurisdiction


def instrument_by_slug(session: Session, slug: str) -> "InstrumentRow":
    instrument = maps(session).instrument_slugs.get((slug or "").strip().lower())
    if instrument is None:
        raise NotFound(_("No such instrument: %(slug)s.", slug=slug))
    return instrument


def resolve_many(session: Session, model, key_column, keys: list[str], field: str, active_only: bool = True):
    """Rows for a list of keys, all or an error naming the unknown ones (nothing half-applied)."""
    wanted = [k.strip().lower() for k in keys if k and k.strip()]
    if not wanted:
        return []
    statement = select(model).where(func.lower(key_column).in_(wanted))
    rows = {getattr(row, key_column.key).lower(): row for row in session.exec(statement).all()}
    unknown = [k for k in wanted if k not in rows or (active_only and rows[k].archived)]
    if unknown:
        raise ValidationFailed({field: _("Unknown %(what)s: %(keys)s.", what=field, keys=", ".join(unknown))})
    ordered = []
    for key in wanted:
        if rows[key] not in ordered:
            ordered.append(rows[key])
    return ordered


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80]


# --- Administration ------------------------------------------------------------------------------

TAXONOMY_MODELS = {
    "sector": (Sector, Sector.slug),
    "instrument": (Instrument, Instrument.slug),
    "jurisdiction": (Jurisdiction, Jurisdiction.code),
}


def add_entry(session: Session, admin: User, kind: str, *, name: str, key: str = "", year: int | None = None):
    """Add a sector, instrument or regional jurisdiction; the key (slug) is fixed from then on."""
    permissions.check_can_manage_users(admin)
    model, key_column = TAXONOMY_MODELS[kind]
    name = " ".join((name or "").split())[:200]
    if not name:
        raise ValidationFailed({"name": _("Enter a name.")})
    key = slugify(key or name)
    if not key:
        raise ValidationFailed({"key": _("Enter a key of letters and digits.")})
    if session.exec(select(model).where(key_column == key)).first():
        raise Conflict(_("The key %(key)s is already used.", key=key), field="key")
    values = {key_column.key: key, "name": name}
    if kind == "instrument":
        values["year"] = year
    if kind == "jurisdiction":
        values["kind"] = "region"
    if kind == "sector":
        values["position"] = (session.exec(select(func.max(Sector.position))).one() or 0) + 1
    entry = model(**values)
    session.add(entry)
    session.flush()
    record(session, admin, f"{kind}.create", kind, entry.id, after={"key": key, "name": name})
    return entry


def _entry(session: Session, kind: str, entry_id: int):
    model, _key = TAXONOMY_MODELS[kind]
    entry = session.get(model, entry_id)
    if entry is None:
        raise NotFound(_("Not found."))
    return entry


def rename_entry(session: Session, admin: User, kind: str, entry_id: int, name: str):
    permissions.check_can_manage_users(admin)
    entry = _entry(session, kind, entry_id)
    name = " ".join((name or "").split())[:200]
    if not name:
        raise ValidationFailed({"name": _("Enter a name.")})
    if entry.name != name:
        record(
            session,
            admin,
            f"{kind}.rename",
            kind,
            entry.id,
            before={"name": entry.name},
            after={"name": name},
        )
        entry.name = name
        session.add(entry)
        # Every post is found by its thread's sector, jurisdiction and instrument names.
        reindex_entry(session, kind, entry.id)
    return entry


def set_archived(session: Session, admin: User, kind: str, entry_id: int, archived: bool):
    """Archived entries keep their threads but are no longer offered for new ones."""
    permissions.check_can_manage_users(admin)
    entry = _entry(session, kind, entry_id)
    if entry.archived != archived:
        record(session, admin, f"{kind}.{'archive' if archived else 'unarchive'}", kind, entry.id)
        entry.archived = archived
        session.add(entry)
    return entry


# --- Kept lookups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectorRow:
    id: int
    slug: str
    name: str
    description: str
    position: int
    archived: bool


@dataclass(frozen=True)
class JurisdictionRow:
    id: int
    code: str
    name: str
    kind: str
    archived: bool


@dataclass(frozen=True)
class InstrumentRow:
    id: int
    slug: str
    name: str
    short_name: str
    year: int | None
    archived: bool


@dataclass(frozen=True)
class TaxonomyMaps:
    sectors: dict[int, SectorRow]
    jurisdictions: dict[int, JurisdictionRow]
    instruments: dict[int, InstrumentRow]

    def __post_init__(self):
        # Lookups by stable key; jurisdiction codes case-insensitively ("fr", "FR").
        object.__setattr__(self, "sector_slugs", {s.slug: s for s in self.sectors.values()})
        object.__setattr__(
            self, "jurisdiction_codes", {j.code.lower(): j for j in self.jurisdictions.values()}
        )
        object.__setattr__(self, "instrument_slugs", {i.slug: i for i in self.instruments.values()})


def maps(session: Session) -> TaxonomyMaps:
    """Every sector, jurisdiction and instrument (archived ones too) by id, as immutable rows that
    requests share. Kept until the forum's version moves: taxonomy edits are audited, which moves it."""

    def load() -> TaxonomyMaps:
        def rows(model, row_type):
            columns = [getattr(model, name) for name in row_type.__dataclass_fields__]
            return {row[0]: row_type(*row) for row in session.execute(select(*columns)).all()}

        return TaxonomyMaps(
            sectors=rows(Sector, SectorRow),
            jurisdictions=rows(Jurisdiction, JurisdictionRow),
            instruments=rows(Instrument, InstrumentRow),
        )

    return kept(session, ("taxonomy-maps",), load)


@dataclass(frozen=True)
class TaxonomyChoices:
    """The sectors, jurisdictions and instruments a form offers (not archived), in the order of
    list_sectors, list_jurisdictions and list_instruments, as shared immutable rows."""

    sectors: list[SectorRow]
    jurisdictions: list[JurisdictionRow]
    instruments: list[InstrumentRow]


def choices(session: Session) -> TaxonomyChoices:
    """Kept like maps(): a moderator's thread page offers some 260 jurisdictions, and loading them
    as ORM objects on every view cost more than the rest of the page's queries together."""

    def load() -> TaxonomyChoices:
        taxonomy = maps(session)
        live = lambda rows: [row for row in rows.values() if not row.archived]  # noqa: E731
        return TaxonomyChoices(
            sectors=sorted(live(taxonomy.sectors), key=lambda s: (s.position, s.name)),
            # Regions before countries (kind DESC), then by name; undated instruments first.
            jurisdictions=sorted(
                sorted(live(taxonomy.jurisdictions), key=lambda j: j.name), key=lambda j: j.kind, reverse=True
            ),
            instruments=sorted(
                live(taxonomy.instruments), key=lambda i: (i.year is not None, i.year or 0, i.name)
            ),
        )

    return kept(session, ("taxonomy-choices",), load)
