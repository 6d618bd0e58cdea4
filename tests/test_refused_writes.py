"""A refused request never holds SQLite's write lock.

Outside testing found that one forum process on SQLite wedged for everyone after a few refused form
posts: a refused write's error page counted the header's notifications through the request's write
session after its unit of work had been rolled back and closed, which began a new IMMEDIATE
transaction that nothing ended. Every later writer then waited out busy_timeout (15 s) and failed.

This replays refused writes of every kind through a real server process, then checks that normal
writes still go through at once: the client waits far less than busy_timeout."""

import re

import httpx2 as httpx
import pytest

from tests.live import ADMIN_EMAIL, ADMIN_PASSWORD, live_server

# Well under the server's busy_timeout (15 s): a wedged writer answers only after that.
PROMPT = 5.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _csrf(client: httpx.Client, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"{path} has no CSRF field"
    return match.group(1)


def _signed_in(url: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=PROMPT, follow_redirects=False, trust_env=False)
    token = _csrf(client, "/login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def server(tmp_path):
    with live_server(tmp_path / "data", workers=1) as live:
        yield live


def test_refused_writes_of_every_kind_leave_the_database_writable(server):
    token = server.admin_token()
    api = httpx.Client(
        base_url=server.url, timeout=PROMPT, trust_env=False, headers={"Authorization": f"Bearer {token}"}
    )
    thread = api.post(
        "/api/v1/threads",
        json={
            "title": "Refusals and the lock",
            "body": "Opening",
            "sector": "tobacco",
            "jurisdictions": ["FR"],
        },
    ).json()
    post_id = api.get(f"/api/v1/threads/{thread['id']}").json()["posts"][0]["id"]
    invitation = api.post("/api/v1/invitations", json={"email": "other@example.org", "role": "expert"}).json()
    invite_token = invitation["url"].split("token=")[1]
    registered = httpx.post(
        f"{server.url}/api/v1/register",
        json={"token": invite_token, "name": "Otto Other", "password": "another long passphrase"},
        trust_env=False,
    )
    assert registered.status_code == 201, registered.text

    admin = _signed_in(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    other = _signed_in(server.url, "other@example.org", "another long passphrase")
    others_token = _csrf(other, "/profile")

    refusals: list[tuple[str, int]] = []

    def refused(
        client: httpx.Client, path: str, data: dict | None = None, headers=None, json=None, status=403
    ):
        response = client.post(path, data=data, json=json, headers=headers)
        refusals.append((path, response.status_code))
        assert response.status_code == status, (path, response.status_code, response.text[:300])

    form_writes = {
        "/threads/new": {"title": "Never posted", "body": "x", "sector": "tobacco", "jurisdictions": "FR"},
        f"/posts/{post_id}/edit": {"body": "Never saved", "base_revision": "1"},
        f"/posts/{post_id}/delete": {},
        "/profile/tokens": {"name": "never made"},
    }
    for path, fields in form_writes.items():
        refused(admin, path, data=fields)  # no token at all
        refused(admin, path, data={**fields, "csrf_token": ""})  # an empty token
        refused(admin, path, data={**fields, "csrf_token": others_token})  # another session's token
        refused(  # the right token, from another site
            admin,
            path,
            data={**fields, "csrf_token": _csrf(admin, "/profile")},
            headers={"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
        )
    # Refused by the service, with a valid token: another member's post.
    refused(
        other,
        f"/posts/{post_id}/edit",
        data={"body": "Not mine", "base_revision": "1", "csrf_token": others_token},
    )
    refused(other, f"/posts/{post_id}/delete", data={"csrf_token": others_token})
    refused(admin, "/posts/999999/delete", data={"csrf_token": _csrf(admin, "/profile")}, status=404)

    # API writes with a session cookie that has ended.
    ended = _signed_in(server.url, "other@example.org", "another long passphrase")
    ended_cookies = dict(ended.cookies)
    ended.post("/logout", data={"csrf_token": _csrf(ended, "/profile")})
    stale = httpx.Client(base_url=server.url, timeout=PROMPT, trust_env=False, cookies=ended_cookies)
    refused(stale, "/api/v1/threads", json={"title": "Never", "body": "x", "sector": "tobacco"}, status=401)
    refused(stale, f"/api/v1/threads/{thread['id']}/posts", json={"body": "Never"}, status=401)
    refused(stale, "/profile/tokens", data={"name": "x"})

    assert len(refusals) >= 20
    # Normal writes still go through at once, by token and by form.
    reply = api.post(f"/api/v1/threads/{thread['id']}/posts", json={"body": "Still writable"})
    assert reply.status_code == 201, reply.text
    created = admin.post(
        "/threads/new",
        data={
            "title": "Written after the refusals",
            "body": "It went through.",
            "sector": "tobacco",
            "jurisdictions": "FR",
            "csrf_token": _csrf(admin, "/threads/new"),
        },
    )
    assert created.status_code == 303, created.text[:500]
    assert other.get("/").status_code == 200
    assert "database is locked" not in server.log.read_text()
