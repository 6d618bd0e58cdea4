"""The migrations build exactly the schema the models describe, on both engines."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401
from tests.conftest import fresh_database_url


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        from app.search.index import include_object

        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_run_forwards_on_a_database_with_members(kind, tmp_path):
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import upgrade

    url, drop = fresh_database_url(kind, tmp_path)
    try:
        upgrade(url, "0001")
        engine = make_engine(url)
        with engine.begin() as connection:
            for email, name in [("a@example.org", "Élise Dupont"), ("b@example.org", "Elise Dupont")]:
                connection.execute(
                    text(
                        "INSERT INTO user_account (email, display_name, organisation, country, role, status, "
                        "suspension_reason, password_hash, password_changed_at, created_at) VALUES "
                        "(:email, :name, '', 'FR', 'expert', 'active', '', 'x', :now, :now)"
                    ),
                    {"email": email, "name": name, "now": "2026-01-01 00:00:00"},
                )
        upgrade(url)
        with engine.connect() as connection:
            handles = connection.execute(text("SELECT handle FROM user_account ORDER BY id")).scalars().all()
            sectors = connection.execute(text("SELECT count(*) FROM sector")).scalar_one()
        engine.dispose()
        assert handles == ["elise.dupont", "elise.dupont2"]
        assert sectors == 14
    finally:
        drop()
