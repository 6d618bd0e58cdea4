"""Values kept in memory (app.cache) follow the order in which writes commit, not the order in
which they started."""

import threading

from sqlmodel import select

from tests.conftest import fresh_database_url
from tests.factories import make_user


def test_a_write_committing_late_still_moves_the_kept_taxonomy(tmp_path):
    """On PostgreSQL ids are taken at INSERT: a rename holding a lower audit id that commits after
    another admin action must still be seen. The version row serialises the two writes, so the
    later commit always carries the higher version."""
    from app.cache import clear_all
    from app.db import Database, make_engine
    from app.migrate import upgrade
    from app.taxonomy import service as taxonomy
    from app.taxonomy.models import Jurisdiction, Sector

    url, drop = fresh_database_url("postgresql", tmp_path)
    try:
        upgrade(url)
        engine = make_engine(url)
        database = Database(engine)
        clear_all()
        admin = make_user(database, role="admin", email="admin@example.org")
        with database.unit_of_work() as session:
            tobacco = session.exec(select(Sector).where(Sector.slug == "tobacco")).one()
            kenya = session.exec(select(Jurisdiction).where(Jurisdiction.code == "KE")).one()
            old_name = tobacco.name
        slow = database.session(write=True)  # the rename: written first, committed last
        taxonomy.rename_entry(slow, admin, "sector", tobacco.id, "Renamed by the slow transaction")
        slow.flush()

        def other_admin_action():
            with database.unit_of_work() as session:
                taxonomy.set_archived(session, admin, "jurisdiction", kenya.id, True)

        other = threading.Thread(target=other_admin_action)
        other.start()
        with database.session() as reader:  # a page in between keeps the committed state
            assert taxonomy.maps(reader).sector_slugs["tobacco"].name == old_name
        slow.commit()
        slow.close()
        other.join(timeout=30)
        assert not other.is_alive()
        with database.session() as reader:
            maps = taxonomy.maps(reader)
            assert maps.sector_slugs["tobacco"].name == "Renamed by the slow transaction"
            assert maps.jurisdiction_codes["ke"].archived is True
        engine.dispose()
    finally:
        clear_all()
        drop()
