"""Password reset by emailed link and by an administrator's link."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from app.accounts.models import PasswordReset
from app.notifications.models import OutboxMessage
from app.timeutil import utcnow
from tests.conftest import csrf_from, shown_once, sign_in
from tests.factories import PASSWORD

NEW_PASSWORD = "completely different words"


def _request_reset(client, email) -> str | None:
    page = client.get("/password-reset")
    client.post("/password-reset", data={"email": email, "csrf_token": csrf_from(page.text)})


def _last_link(database, email) -> str:
    with database.unit_of_work(write=False) as session:
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id.desc())
        ).first()
    return re.search(r"https://testserver(/password-reset/\S+)", message.body).group(1)


def _choose(client, path, password=NEW_PASSWORD):
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"password": password, "csrf_token": csrf_from(page.text)})


def test_reset_link_works_once(anonymous, database, expert, app):
    _request_reset(anonymous, expert.email)
    path = _last_link(database, expert.email)
    response = _choose(anonymous, path)
    assert "Your password was changed" in response.text
    assert (
        sign_in(TestClient(app, base_url="https://testserver"), expert.email, NEW_PASSWORD).status_code == 303
    )
    again = _choose(anonymous, path, "yet another passphrase")
    assert again.status_code == 400 and "not valid any more" in again.text


def test_reset_link_expires_after_an_hour(anonymous, database, expert):
    _request_reset(anonymous, expert.email)
    with database.unit_of_work() as session:
        session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert _choose(anonymous, _last_link(database, expert.email)).status_code == 400


def test_reset_link_is_void_once_the_password_changes(anonymous, signed_in, database, expert):
    _request_reset(anonymous, expert.email)
    path = _last_link(database, expert.email)
    client = signed_in(expert)
    client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "changed meanwhile ok",
            "csrf_token": csrf_from(client.get("/profile").text),
        },
    )
    assert _choose(anonymous, path).status_code == 400


def test_reset_requests_are_limited_per_account(anonymous, database, expert, settings):
    for _attempt in range(settings.reset_limit_per_hour + 2):
        _request_reset(anonymous, expert.email)
    with database.unit_of_work(write=False) as session:
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == expert.email)).all()
    assert len(sent) == settings.reset_limit_per_hour


def test_weak_new_password_is_refused_and_the_link_still_works(anonymous, database, expert):
    _request_reset(anonymous, expert.email)
    path = _last_link(database, expert.email)
    response = _choose(anonymous, path, "short")
    assert response.status_code == 422 and "12 characters" in response.text
    assert "Your password was changed" in _choose(anonymous, path).text


def test_admin_makes_a_reset_link_without_seeing_a_password(signed_in, admin, expert, anonymous):
    client = signed_in(admin)
    page = client.get("/admin/users")
    response = client.post(f"/admin/users/{expert.id}/reset-link", data={"csrf_token": csrf_from(page.text)})
    link = shown_once(response.text).removeprefix("https://testserver")
    assert "Your password was changed" in _choose(anonymous, link).text


def test_reset_ends_existing_sessions(signed_in, anonymous, database, expert):
    client = signed_in(expert)
    _request_reset(anonymous, expert.email)
    _choose(anonymous, _last_link(database, expert.email))
    assert client.get("/profile", follow_redirects=False).status_code == 303
