"""The `forum` command, run as a user runs it: a subprocess against a real database."""

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.conftest import POSTGRES_ADMIN_URL, ROOT, _postgres_conninfo, skip_or_fail

PASSWORD = "an administrator passphrase"


def forum(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture
def cli_env(tmp_path):
    return {
        "FORUM_DATA_DIR": str(tmp_path / "data"),
        "FORUM_BASE_URL": "https://forum.example",
        "FORUM_SECRET_KEY": "cli-test-key",
    }


def test_first_admin_comes_from_the_command_line(cli_env, tmp_path):
    assert forum(cli_env, "db", "upgrade").returncode == 0
    serve_hint = forum(cli_env, "serve", "--port", "0", "--help")
    assert serve_hint.returncode == 0
    created = forum(
        cli_env,
        "create-admin",
        "--email",
        "Root@Example.org",
        "--name",
        "Rita Root",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    invited = forum(cli_env, "invite", "--email", "new@example.org", "--role", "moderator")
    assert invited.returncode == 0, invited.stderr
    url = invited.stdout.strip()
    assert url.startswith("https://forum.example/register?token=")
    token = forum(cli_env, "token", "create", "--email", "root@example.org").stdout.strip()
    assert token.startswith("lef_")

    settings = Settings(
        data_dir=tmp_path / "data", secret_key="cli-test-key", base_url="https://forum.example"
    )
    client = TestClient(create_app(settings), base_url="https://testserver")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "admin"
    registered = client.post(
        "/api/v1/register",
        json={"token": url.split("token=")[1], "name": "Nia New", "password": "my chosen passphrase"},
    )
    assert registered.status_code == 201 and registered.json()["role"] == "moderator"


def test_create_admin_refuses_a_weak_password_and_creates_nothing(cli_env):
    forum(cli_env, "db", "upgrade")
    result = forum(
        cli_env,
        "create-admin",
        "--email",
        "a@example.org",
        "--name",
        "A",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.returncode == 1 and "12 characters" in result.stderr
    assert forum(cli_env, "token", "create", "--email", "a@example.org").returncode == 1


def test_token_for_an_unknown_email_fails_clearly(cli_env):
    forum(cli_env, "db", "upgrade")
    result = forum(cli_env, "token", "create", "--email", "ghost@example.org")
    assert result.returncode == 1 and "no user" in result.stderr


def test_db_upgrade_on_postgresql(cli_env):
    name = f"forum_cli_{uuid.uuid4().hex[:10]}"
    admin = _postgres_conninfo(POSTGRES_ADMIN_URL)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        skip_or_fail(f"PostgreSQL is not reachable: {error}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        env = {**cli_env, "FORUM_DATABASE_URL": url}
        result = forum(env, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert forum(env, "db", "upgrade").returncode == 0  # idempotent
        engine = make_engine(url)
        assert {"user_account", "user_session", "invitation", "outbox_message"} <= set(
            inspect(engine).get_table_names()
        )
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_seed_demo_then_search_reindex_and_notify(cli_env, tmp_path):
    assert forum(cli_env, "db", "upgrade").returncode == 0
    seeded = forum(cli_env, "seed-demo", "--threads", "5", "--posts", "40", "--seed", "3")
    assert seeded.returncode == 0, seeded.stderr
    reindexed = forum(cli_env, "search", "reindex")
    assert reindexed.returncode == 0 and reindexed.stdout.startswith("Indexed 3")  # 40 less deleted ones
    assert forum(cli_env, "search", "notify").returncode == 0
    assert forum(cli_env, "notifications", "digest").returncode == 0
    pruned = forum(cli_env, "notifications", "prune")
    assert pruned.returncode == 0 and "read more than 180 days ago" in pruned.stdout, pruned.stderr
    refused = forum(cli_env, "seed-demo", "--threads", "5", "--posts", "2")
    assert refused.returncode == 1 and "--posts" in refused.stderr
