"""Importing an archive with its dates: by an administrator's token, or `forum import FILE`; an
expert's created_at is refused; before:/after: and date order then work on the imported history."""

import json
import os

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.audit import AuditEntry
from app.forum.importer import import_archive
from app.forum.models import Post, Thread
from tests.factories import make_thread, make_token
from tests.live import cli_process

THREAD = {
    "title": "Seizures of counterfeit pesticides in 2019",
    "body": "The archive's opening message.",
    "sector": "pesticides-agrochemicals",
    "jurisdictions": ["KE"],
}


def bearer(client: TestClient, database, user) -> TestClient:
    client.headers["Authorization"] = f"Bearer {make_token(database, user)}"
    return client


def count(database, model) -> int:
    with database.unit_of_work(write=False) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_an_admin_imports_a_thread_and_a_reply_with_their_dates_audited(client, database, admin):
    api = bearer(client, database, admin)
    created = api.post("/api/v1/threads", json={**THREAD, "created_at": "2019-03-04T09:30:00+01:00"})
    assert created.status_code == 201, created.text
    thread = created.json()
    assert thread["created_at"] == "2019-03-04T08:30:00Z"
    reply = api.post(
        f"/api/v1/threads/{thread['id']}/posts",
        json={"body": "An answer.", "created_at": "2019-03-05T10:00:00Z"},
    )
    assert reply.status_code == 201 and reply.json()["created_at"] == "2019-03-05T10:00:00Z"
    posts = api.get(f"/api/v1/threads/{thread['id']}").json()["posts"]
    assert [p["created_at"] for p in posts] == ["2019-03-04T08:30:00Z", "2019-03-05T10:00:00Z"]
    with database.unit_of_work(write=False) as session:
        actions = session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["thread.import", "post.import"]


def test_an_experts_created_at_is_refused_and_nothing_is_written(client, database, expert):
    api = bearer(client, database, expert)
    before = count(database, Thread)
    response = api.post("/api/v1/threads", json={**THREAD, "created_at": "2019-03-04T09:30:00Z"})
    assert response.status_code == 403 and "administrator" in response.json()["detail"]
    assert count(database, Thread) == before
    thread = make_thread(database, expert)
    response = api.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": "x", "created_at": "2019-01-01T00:00:00Z"}
    )
    assert response.status_code == 403
    assert api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Written now."}).status_code == 201


def test_an_imported_post_cannot_be_dated_in_the_future(client, database, admin):
    api = bearer(client, database, admin)
    response = api.post("/api/v1/threads", json={**THREAD, "created_at": "2999-01-01T00:00:00Z"})
    assert response.status_code == 422 and "created_at" in response.json()["errors"]


def test_dates_filters_and_date_order_work_on_imported_history(client, database, admin):
    api = bearer(client, database, admin)
    live = api.post("/api/v1/threads", json={**THREAD, "title": "Counterfeit pesticides today"}).json()
    old = api.post("/api/v1/threads", json={**THREAD, "created_at": "2019-03-04T09:30:00Z"}).json()

    def found(q, **params):
        return [
            item["thread_id"] for item in api.get("/api/v1/search", params={"q": q, **params}).json()["items"]
        ]

    # The imported thread has the higher id but the older date.
    assert old["id"] > live["id"]
    assert found("pesticides after:2019-01-01 before:2020-01-01") == [old["id"]]
    assert found("pesticides before:2020-01-01") == [old["id"]]
    # The earliest post of the period has the highest id: an id range would lose the live one.
    assert sorted(found("pesticides after:2019-01-01")) == [live["id"], old["id"]]
    assert found("pesticides after:2025-01-01") == [live["id"]]
    assert found("pesticides", sort="date") == [live["id"], old["id"]]


def archive_lines() -> list[str]:
    return [
        json.dumps({"user": {"email": "ana.gomez@example.org", "name": "Ana Gómez", "country": "ES"}}),
        json.dumps(
            {
                "thread": {
                    **THREAD,
                    "author": "ana.gomez@example.org",
                    "created_at": "2018-06-01T08:00:00Z",
                    "replies": [
                        {
                            "author": "admin@example.org",
                            "created_at": "2018-06-02T08:00:00Z",
                            "body": "First answer.",
                            "replies": [
                                {
                                    "author": "ana.gomez@example.org",
                                    "created_at": "2018-06-03T08:00:00Z",
                                    "body": "Nested.",
                                }
                            ],
                        }
                    ],
                }
            }
        ),
        json.dumps(
            {"thread": {**THREAD, "author": "nobody@example.org", "created_at": "2018-07-01T08:00:00Z"}}
        ),
        "not json",
    ]


def test_an_archive_loads_members_threads_and_nested_replies_line_by_line(database, admin):
    before = count(database, Post)
    report = import_archive(database, admin.email, archive_lines())
    assert (report.users, report.threads, report.posts) == (1, 1, 3)
    assert len(report.errors) == 2
    assert report.errors[0].startswith("line 3:") and "nobody@example.org" in report.errors[0]
    assert report.errors[1].startswith("line 4:")
    assert count(database, Post) == before + 3  # the refused line left nothing behind
    with database.unit_of_work(write=False) as session:
        posts = session.exec(select(Post).order_by(Post.id.desc()).limit(3)).all()[::-1]
    assert [p.created_at.isoformat() for p in posts] == [
        "2018-06-01T08:00:00",
        "2018-06-02T08:00:00",
        "2018-06-03T08:00:00",
    ]
    assert posts[2].parent_id == posts[1].id and posts[1].parent_id == posts[0].id


def test_forum_import_from_the_command_line(tmp_path):
    env = {
        **os.environ,
        "FORUM_DATA_DIR": str(tmp_path / "data"),
        "FORUM_BASE_URL": "https://forum.example",
        "FORUM_SECRET_KEY": "import-test-key",
    }
    env.pop("FORUM_DATABASE_URL", None)

    def forum(*args, stdin=None):
        return cli_process(env, *args, stdin=stdin)

    assert forum("db", "upgrade").returncode == 0
    created = forum(
        "create-admin",
        "--email",
        "admin@example.org",
        "--name",
        "Ada",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    archive = tmp_path / "archive.jsonl"
    archive.write_text("\n".join(archive_lines()[:2]) + "\n", encoding="utf-8")
    result = forum("import", str(archive))
    assert result.returncode == 0, result.stderr
    assert "Imported 1 members, 1 threads and 3 posts." in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(archive_lines()[2:]) + "\n", encoding="utf-8")
    refused = forum("import", str(bad))
    assert refused.returncode == 1 and "line 1:" in refused.stderr and "line 2:" in refused.stderr


@pytest.mark.parametrize("value", ["yesterday", "2019-13-45"])
def test_an_archive_line_with_a_bad_date_is_refused_whole(database, admin, value):
    line = json.dumps({"thread": {**THREAD, "author": "admin@example.org", "created_at": value}})
    report = import_archive(database, admin.email, [line])
    assert report.threads == 0 and "created_at" in report.errors[0]
