"""Server-side sessions: sign-out, revocation, expiry, suspension, password change."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from app.accounts.models import UserSession
from app.timeutil import utcnow
from tests.conftest import csrf_from, sign_in
from tests.factories import PASSWORD, make_token


def _new_client(app) -> TestClient:
    return TestClient(app, base_url="https://testserver")


def _is_signed_in(client) -> bool:
    return client.get("/profile", follow_redirects=False).status_code == 200


def test_sign_out_ends_the_server_side_session(app, signed_in, expert):
    client = signed_in(expert)
    cookie = client.cookies.get("__Host-session")
    token = csrf_from(client.get("/profile").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    # Replaying the old cookie does not bring the session back.
    replay = _new_client(app)
    replay.cookies.set("__Host-session", cookie)
    assert not _is_signed_in(replay)


def test_revoked_session_is_signed_out_on_its_next_request(app, signed_in, expert, admin):
    member = signed_in(expert)
    assert _is_signed_in(member)
    admin_client = _new_client(app)
    sign_in(admin_client, admin.email)
    page = admin_client.get("/admin/users")
    response = admin_client.post(
        f"/admin/users/{expert.id}/sessions/revoke", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 200 and "1 sessions were signed out" in response.text
    assert not _is_signed_in(member)
    assert _is_signed_in(admin_client)


def test_sign_out_other_sessions_keeps_this_one(app, signed_in, expert):
    laptop = signed_in(expert)
    phone = _new_client(app)
    sign_in(phone, expert.email)
    page = laptop.get("/profile")
    assert page.text.count("Sign out this session") == 1
    laptop.post("/profile/sessions/end-others", data={"csrf_token": csrf_from(page.text)})
    assert _is_signed_in(laptop) and not _is_signed_in(phone)


def test_a_member_cannot_end_someone_elses_session(app, signed_in, expert, moderator, database):
    other = _new_client(app)
    sign_in(other, moderator.email)
    with database.unit_of_work(write=False) as session:
        from sqlmodel import select

        their_session = session.exec(select(UserSession).where(UserSession.user_id == moderator.id)).one()
    client = signed_in(expert)
    response = client.post(
        f"/profile/sessions/{their_session.id}/end",
        data={"csrf_token": csrf_from(client.get("/profile").text)},
    )
    assert response.status_code == 404
    assert _is_signed_in(other)


def _age_sessions(database, user, **ages: timedelta) -> None:
    now = utcnow()
    with database.unit_of_work() as session:
        session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id)
            .values({name: now - age for name, age in ages.items()})
        )


def test_idle_session_expires(signed_in, expert, database, settings):
    client = signed_in(expert)
    _age_sessions(database, expert, last_seen_at=timedelta(minutes=settings.session_idle_minutes + 1))
    assert not _is_signed_in(client)


def test_session_expires_absolutely_even_when_active(signed_in, expert, database, settings):
    client = signed_in(expert)
    _age_sessions(database, expert, created_at=timedelta(days=settings.session_absolute_days, minutes=1))
    assert not _is_signed_in(client)


def test_password_change_ends_every_other_session(app, signed_in, expert):
    laptop = signed_in(expert)
    phone = _new_client(app)
    sign_in(phone, expert.email)
    page = laptop.get("/profile")
    response = laptop.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 200 and "Your password was changed" in response.text
    assert _is_signed_in(laptop) and not _is_signed_in(phone)
    assert sign_in(_new_client(app), expert.email, "a brand new passphrase").status_code == 303


def test_password_change_with_wrong_current_password_changes_nothing(signed_in, expert, app):
    client = signed_in(expert)
    response = client.post(
        "/profile/password",
        data={
            "current_password": "not my password",
            "new_password": "a brand new passphrase",
            "csrf_token": csrf_from(client.get("/profile").text),
        },
    )
    assert response.status_code == 422 and "current password is not right" in response.text
    assert sign_in(_new_client(app), expert.email, PASSWORD).status_code == 303


def test_suspension_stops_session_and_token_on_the_next_request(app, signed_in, expert, admin, database):
    member = signed_in(expert)
    token = make_token(database, expert)
    assert member.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    admin_token = make_token(database, admin)
    response = _new_client(app).post(
        f"/api/v1/users/{expert.id}/suspend",
        json={"reason": "Shared a confidential indictment"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert not _is_signed_in(member)
    assert _new_client(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # Signing in again tells the member why, and only with the right password.
    again = sign_in(_new_client(app), expert.email)
    assert again.status_code == 403 and "Shared a confidential indictment" in again.text
    wrong = sign_in(_new_client(app), expert.email, "not the password")
    assert wrong.status_code == 401 and "confidential" not in wrong.text


def test_profile_lists_sessions_and_saves_details(signed_in, expert):
    client = signed_in(expert)
    page = client.get("/profile")
    assert "this session" in page.text
    response = client.post(
        "/profile",
        data={
            "name": "Esther E. Expert",
            "organisation": "Ministry of Justice",
            "country": "SN",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert "Your profile was saved" in response.text
    assert 'value="Esther E. Expert"' in response.text
    assert re.search(r'<option value="SN" selected>', response.text)


def test_profile_with_unknown_country_is_refused_and_input_kept(signed_in, expert):
    client = signed_in(expert)
    response = client.post(
        "/profile",
        data={"name": "New Name", "country": "XX", "csrf_token": csrf_from(client.get("/profile").text)},
    )
    assert response.status_code == 422 and "Choose a country from the list" in response.text
    assert 'value="New Name"' in response.text
    assert "Esther Expert" in client.get("/api/v1/me").text


def test_password_change_revokes_personal_access_tokens(app, signed_in, expert, database):
    token = make_token(database, expert)
    client = signed_in(expert)
    client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "csrf_token": csrf_from(client.get("/profile").text),
        },
    )
    assert _new_client(app).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
