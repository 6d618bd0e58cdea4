"""SQLite under two server processes: concurrent writes all succeed and none is lost.

Each invitation reads first (rate limit, existing account, pending invitation) and writes after:
with deferred transactions, two processes doing that at once get "database is locked" at the lock
upgrade. BEGIN IMMEDIATE for writes makes them queue under busy_timeout instead."""

import http.client
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app.db import make_engine
from tests.live import live_server

WRITES_PER_THREAD = 25
THREADS = 4


@pytest.fixture
def two_workers(tmp_path):
    with live_server(tmp_path / "data", workers=2, env={"FORUM_INVITATION_LIMIT_PER_DAY": "1000"}) as server:
        yield server.port, server.admin_token(), server.database_path


def _invite_many(port: int, token: str, thread: int) -> list[tuple[int, str]]:
    results = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for number in range(WRITES_PER_THREAD):
        body = json.dumps({"email": f"t{thread}-{number}@example.org", "role": "expert"})
        connection.request(
            "POST",
            "/api/v1/invitations",
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        payload = response.read().decode()
        results.append((response.status, json.loads(payload).get("email", payload)))
    return results


def test_concurrent_writes_through_two_workers_all_land(two_workers):
    port, token, path = two_workers
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [
            r for batch in pool.map(lambda t: _invite_many(port, token, t), range(THREADS)) for r in batch
        ]
    failures = [outcome for outcome in outcomes if outcome[0] != 201]
    assert failures == []
    acknowledged = sorted(email for _status, email in outcomes)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        stored = sorted(connection.execute(text("SELECT email FROM invitation")).scalars())
    engine.dispose()
    assert stored == acknowledged
    assert len(stored) == THREADS * WRITES_PER_THREAD


def _request(port: int, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read().decode() or "{}")


def test_concurrent_replies_keep_every_post_and_the_reply_count(two_workers):
    port, token, path = two_workers
    status, thread = _request(
        port,
        token,
        "POST",
        "/api/v1/threads",
        {"title": "Busy thread", "body": "Opening", "sector": "tobacco", "jurisdictions": ["FR"]},
    )
    assert status == 201

    def reply_many(worker: int) -> list[int]:
        ids = []
        for number in range(WRITES_PER_THREAD):
            status, post = _request(
                port,
                token,
                "POST",
                f"/api/v1/threads/{thread['id']}/posts",
                {"body": f"Reply {worker}-{number}"},
            )
            assert status == 201, post
            ids.append(post["id"])
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        acknowledged = sorted(i for batch in pool.map(reply_many, range(THREADS)) for i in batch)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        stored = sorted(
            connection.execute(
                text("SELECT id FROM post WHERE thread_id = :t AND parent_id IS NOT NULL"),
                {"t": thread["id"]},
            ).scalars()
        )
        reply_count = connection.execute(
            text("SELECT reply_count FROM thread WHERE id = :t"), {"t": thread["id"]}
        ).scalar_one()
    engine.dispose()
    assert stored == acknowledged
    assert reply_count == THREADS * WRITES_PER_THREAD


def test_reads_on_the_event_loop_never_wait_for_a_connection(tmp_path):
    """On SQLite, read-only pages run on the event loop (sqlite_reads_inline) while API reads run in
    the thread pool, each holding a connection until the loop ends its session. With a capped pool,
    an inline page waiting for a connection would stop the very loop that frees them: every request
    of the worker would hang until the pool's timeout, then fail."""
    import asyncio

    from app.config import Settings, use_settings
    from app.db import Database, make_engine
    from app.main import create_app
    from app.migrate import upgrade
    from tests.factories import make_thread, make_token, make_user

    url = f"sqlite:///{tmp_path / 'forum.db'}"
    upgrade(url)
    database = Database(make_engine(url, pool_timeout=3))
    settings = use_settings(
        Settings(data_dir=tmp_path / "data", secret_key="k" * 32, base_url="https://testserver", smtp_url="")
    )
    app = create_app(settings, database)
    expert = make_user(database, email="expert@example.org")
    make_thread(database, expert, title="A thread to list")
    authorization = f"Bearer {make_token(database, expert)}".encode()

    async def get(path: str):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "https",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"authorization", authorization)],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 443),
            "state": {},
        }
        answer = {}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]

        try:
            await app(scope, receive, send)
        except Exception as error:  # noqa: BLE001  (the failure being tested is a pool timeout)
            return path, repr(error)[:200]
        return path, answer.get("status")

    async def burst():
        return await asyncio.gather(*[get("/api/v1/threads") for _ in range(20)], get("/threads"), get("/"))

    # In a thread of its own: browser tests may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as runner:
        answers = runner.submit(asyncio.run, burst()).result()
    database.engine.dispose()
    assert [status for _path, status in answers] == [200] * 22, answers
