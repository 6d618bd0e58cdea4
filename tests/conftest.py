"""Fixtures: a migrated database per engine (SQLite and PostgreSQL) per run, each test inside a
transaction rolled back at its end, the app over real HTTP (TestClient), persona users."""

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import Settings, use_settings
from app.db import Database, make_engine
from app.main import create_app
from app.migrate import upgrade
from tests.factories import PASSWORD, make_reply, make_thread, make_user

IN_CI = os.environ.get("CI") == "true"
POSTGRES_ADMIN_URL = os.environ.get(
    "FORUM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def skip_or_fail(message: str) -> None:
    """Outside CI a missing service skips with a reason; in CI it fails."""
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _postgres_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def fresh_database_url(kind: str, tmp_path):
    """A new empty database of the given kind, and a function that drops it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'forward.db'}", lambda: None
    name = f"forum_forward_{uuid.uuid4().hex[:10]}"
    admin = _postgres_conninfo(POSTGRES_ADMIN_URL)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        skip_or_fail(f"PostgreSQL is not reachable: {error}")

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "forum.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine():
    name = f"forum_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_conninfo(POSTGRES_ADMIN_URL)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        skip_or_fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def database(engine) -> Iterator[Database]:
    """A Database whose sessions all join one outer transaction, rolled back after the test: each
    commit of the app becomes a savepoint release."""
    connection = engine.connect()
    transaction = connection.begin()
    database = Database(engine)
    database.bind = connection
    database.session_kwargs = {"join_transaction_mode": "create_savepoint"}
    yield database
    transaction.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return use_settings(
        Settings(
            data_dir=tmp_path / "data",
            secret_key="test-secret-key",
            base_url="https://testserver",
            smtp_url="",
        )
    )


@pytest.fixture(autouse=True)
def _nothing_kept_between_tests():
    """Each test's transaction is rolled back, so ids and the forum version start again from the
    same values: nothing kept in memory (app.cache) may outlive its test."""
    from app.cache import clear_all

    clear_all()
    yield


@pytest.fixture
def app(settings, database):
    return create_app(settings, database)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def anonymous(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def session(database):
    with database.unit_of_work() as session:
        yield session


@pytest.fixture
def admin(database):
    return make_user(database, role="admin", email="admin@example.org", name="Ada Admin")


@pytest.fixture
def moderator(database):
    return make_user(database, role="moderator", email="moderator@example.org", name="Moe Moderator")


@pytest.fixture
def expert(database):
    return make_user(database, role="expert", email="expert@example.org", name="Esther Expert")


CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


COPY_FIELD = re.compile(r'class="copy-field"[^>]*>([^<]+)</textarea>')


def shown_once(html: str) -> str:
    """The link or token a page shows once, in its copy field."""
    match = COPY_FIELD.search(html)
    assert match, "the page shows no link or token to copy"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )
    return response


@pytest.fixture
def signed_in(client):
    """sign_in as a fixture: signed_in(user) signs the shared client in and returns it."""

    def _sign_in(user, password: str = PASSWORD) -> TestClient:
        response = sign_in(client, user.email, password)
        assert response.status_code == 303, response.text
        return client

    return _sign_in


def page_csrf(client: TestClient, path: str = "/profile") -> str:
    return csrf_from(client.get(path).text)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scene(database, expert, moderator):
    """A tobacco thread with a nested exchange (moderation and curation tests)."""
    thread = make_thread(
        database, expert, title="Tobacco excise fraud", sector="tobacco", jurisdictions=["FR"]
    )
    first = make_reply(database, moderator, thread, "First reply")
    second = make_reply(database, expert, thread, "Answer to the first", parent_id=first.id)
    third = make_reply(database, moderator, thread, "Deeper still", parent_id=second.id)
    other = make_reply(database, expert, thread, "Another branch")
    return {"thread": thread, "first": first, "second": second, "third": third, "other": other}
