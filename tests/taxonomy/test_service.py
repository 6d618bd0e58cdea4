"""Taxonomy: loaded by migration, edited by administrators, keys stable."""

from sqlmodel import func, select

from app.audit import AuditEntry
from app.taxonomy.models import Jurisdiction, Sector
from app.taxonomy.service import normalise_tag, parse_tags
from tests.conftest import csrf_from
from tests.factories import make_thread


def test_a_fresh_database_has_the_taxonomy(database):
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(Sector)).one() == 14
        codes = set(session.exec(select(Jurisdiction.code)).all())
    assert {"FR", "KE", "BR", "european-union", "asean", "international"} <= codes
    assert len([c for c in codes if len(c) == 2 and c.isupper()]) == 249  # every ISO 3166-1 country


def test_tags_are_normalised():
    assert normalise_tag("  Online   SALES ") == "online sales"
    assert parse_tags("Excise, excise , EXCISE,  ,sentencing") == ["excise", "sentencing"]


def test_admin_adds_renames_and_archives_a_sector_and_the_slug_stays(signed_in, database, admin, expert):
    client = signed_in(admin)
    page = client.get("/admin/taxonomy")
    client.post(
        "/admin/taxonomy/sector", data={"name": "Cultural property", "csrf_token": csrf_from(page.text)}
    )
    with database.unit_of_work(write=False) as session:
        sector = session.exec(select(Sector).where(Sector.slug == "cultural-property")).one()
    make_thread(database, expert, sector="cultural-property", title="Looted antiquities")
    client.post(
        f"/admin/taxonomy/sector/{sector.id}/rename",
        data={"name": "Cultural property and antiquities", "csrf_token": csrf_from(page.text)},
    )
    listing = client.get("/s/cultural-property")
    assert "Cultural property and antiquities" in listing.text and "Looted antiquities" in listing.text
    client.post(
        f"/admin/taxonomy/sector/{sector.id}/archive",
        data={"archived": "1", "csrf_token": csrf_from(page.text)},
    )
    assert "Cultural property and antiquities" not in client.get("/threads/new").text
    assert "Looted antiquities" in client.get("/s/cultural-property").text  # threads keep their sector
    with database.unit_of_work(write=False) as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.target_type == "sector")).all()
    assert actions == ["sector.create", "sector.rename", "sector.archive"]


def test_new_threads_cannot_use_an_archived_sector(signed_in, database, admin, expert):
    client = signed_in(admin)
    with database.unit_of_work(write=False) as session:
        fuel = session.exec(select(Sector).where(Sector.slug == "fuel")).one()
    client.post(
        f"/admin/taxonomy/sector/{fuel.id}/archive",
        data={"archived": "1", "csrf_token": csrf_from(client.get("/admin/taxonomy").text)},
    )
    from fastapi.testclient import TestClient

    from tests.factories import make_token

    api = TestClient(client.app, base_url="https://testserver")
    response = api.post(
        "/api/v1/threads",
        headers={"Authorization": f"Bearer {make_token(database, expert)}"},
        json={"title": "t", "body": "b", "sector": "fuel", "jurisdictions": ["FR"]},
    )
    assert response.status_code == 422 and "sector" in response.json()["errors"]


def test_duplicate_key_is_refused(signed_in, admin):
    client = signed_in(admin)
    response = client.post(
        "/admin/taxonomy/sector",
        data={
            "name": "Tobacco",
            "key": "tobacco",
            "csrf_token": csrf_from(client.get("/admin/taxonomy").text),
        },
    )
    assert "already used" in response.text


def test_experts_cannot_edit_the_taxonomy(signed_in, expert):
    client = signed_in(expert)
    assert client.get("/admin/taxonomy").status_code == 403
    response = client.post(
        "/admin/taxonomy/sector", data={"name": "Mine", "csrf_token": csrf_from(client.get("/profile").text)}
    )
    assert response.status_code == 403


def test_the_kept_choices_are_the_forms_lists(database):
    """The moderator tools read the taxonomy from the kept rows: the same entries, same order."""
    from app.taxonomy import service as taxonomy

    with database.unit_of_work(write=False) as session:
        kept = taxonomy.choices(session)
        assert [s.id for s in kept.sectors] == [s.id for s in taxonomy.list_sectors(session)]
        assert [i.id for i in kept.instruments] == [i.id for i in taxonomy.list_instruments(session)]
        listed = taxonomy.list_jurisdictions(session)
        assert {j.id for j in kept.jurisdictions} == {j.id for j in listed}
        # Regions first, then countries, each by name (byte order; PostgreSQL's collation may
        # place accented names elsewhere within a kind, so compare the kinds' order there).
        assert [j.kind for j in kept.jurisdictions] == [j.kind for j in listed]
        if database.is_sqlite:
            assert [j.id for j in kept.jurisdictions] == [j.id for j in listed]
