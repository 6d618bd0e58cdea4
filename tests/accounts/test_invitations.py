"""Invitations: who may invite whom, single use, expiry, revocation, resend, mail, registration."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.accounts.models import Invitation, User
from app.notifications.models import OutboxMessage
from tests.conftest import csrf_from
from tests.factories import make_invitation, make_token


def _count_users(database) -> int:
    with database.unit_of_work(write=False) as session:
        return session.exec(select(func.count()).select_from(User)).one()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _register(client, token, name="Ines Invitee", password="a long enough passphrase"):
    return client.post(
        "/api/v1/register",
        json={
            "token": token,
            "name": name,
            "password": password,
            "organisation": "Prosecution Service",
            "country": "ke",
        },
    )


def test_admin_invites_by_api_and_the_invitee_registers(client, database, admin):
    token = make_token(database, admin)
    response = client.post(
        "/api/v1/invitations", json={"email": "Ines@Example.org", "role": "moderator"}, headers=_bearer(token)
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ines@example.org" and body["role"] == "moderator" and body["state"] == "pending"
    assert body["url"].startswith("https://testserver/register?token=")
    response = _register(client, body["url"].split("token=")[1])
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "ines@example.org" and user["role"] == "moderator" and user["country"] == "KE"
    assert "password_hash" not in user


def test_reused_invitation_gets_a_clear_error_and_creates_nobody(client, database, admin):
    _invitation, token = make_invitation(database, admin)
    assert _register(client, token).status_code == 201
    before = _count_users(database)
    response = _register(client, token, name="Second Person")
    assert response.status_code == 400
    assert "already been used" in response.json()["detail"]
    assert _count_users(database) == before


def test_expired_invitation_gets_a_clear_error_and_creates_nobody(client, database, admin):
    invitation, token = make_invitation(database, admin)
    with database.unit_of_work() as session:
        row = session.get(Invitation, invitation.id)
        row.expires_at = row.created_at - timedelta(seconds=1)
        session.add(row)
    before = _count_users(database)
    response = _register(client, token)
    assert response.status_code == 400 and "expired" in response.json()["detail"]
    assert _count_users(database) == before
    page = client.get(f"/register?token={token}")
    assert page.status_code == 400 and "expired" in page.text


def test_revoked_invitation_gets_a_clear_error_and_creates_nobody(client, database, admin):
    invitation, token = make_invitation(database, admin)
    api = make_token(database, admin)
    assert client.post(f"/api/v1/invitations/{invitation.id}/revoke", headers=_bearer(api)).status_code == 200
    before = _count_users(database)
    response = _register(client, token)
    assert response.status_code == 400 and "withdrawn" in response.json()["detail"]
    assert _count_users(database) == before


def test_unknown_invitation_token_is_refused(client):
    response = _register(client, "not-a-real-token")
    assert response.status_code == 400 and "not valid" in response.json()["detail"]


def test_weak_password_at_registration_keeps_the_invitation_usable(client, database, admin):
    _invitation, token = make_invitation(database, admin)
    response = _register(client, token, password="short")
    assert response.status_code == 422
    assert "12 characters" in response.json()["errors"]["password"]
    assert _register(client, token).status_code == 201


def test_moderators_invite_experts_only(client, database, moderator):
    token = make_token(database, moderator)
    ok = client.post(
        "/api/v1/invitations", json={"email": "e@example.org", "role": "expert"}, headers=_bearer(token)
    )
    assert ok.status_code == 201
    for role in ("moderator", "admin"):
        response = client.post(
            "/api/v1/invitations", json={"email": f"{role}@example.org", "role": role}, headers=_bearer(token)
        )
        assert response.status_code == 403


def test_experts_cannot_invite(client, database, expert):
    token = make_token(database, expert)
    response = client.post(
        "/api/v1/invitations", json={"email": "e@example.org", "role": "expert"}, headers=_bearer(token)
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    assert client.get("/api/v1/invitations", headers=_bearer(token)).status_code == 403


def test_invitations_are_rate_limited_per_inviter(client, database, settings, moderator):
    settings.invitation_limit_per_day = 3
    token = make_token(database, moderator)
    for number in range(3):
        response = client.post(
            "/api/v1/invitations", json={"email": f"p{number}@example.org"}, headers=_bearer(token)
        )
        assert response.status_code == 201
    response = client.post("/api/v1/invitations", json={"email": "p9@example.org"}, headers=_bearer(token))
    assert response.status_code == 429


def test_inviting_an_existing_member_or_a_pending_address_is_a_conflict(client, database, admin, expert):
    token = make_token(database, admin)
    response = client.post(
        "/api/v1/invitations", json={"email": expert.email.upper()}, headers=_bearer(token)
    )
    assert response.status_code == 409
    assert (
        client.post(
            "/api/v1/invitations", json={"email": "n@example.org"}, headers=_bearer(token)
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/invitations", json={"email": "n@example.org"}, headers=_bearer(token)
        ).status_code
        == 409
    )


def test_bad_email_is_a_clear_validation_error(client, database, admin):
    token = make_token(database, admin)
    response = client.post("/api/v1/invitations", json={"email": "not an address"}, headers=_bearer(token))
    assert response.status_code == 422
    assert "email" in response.json()["errors"]


def test_resend_issues_a_new_link_and_voids_the_old_one(client, database, admin):
    invitation, old_token = make_invitation(database, admin)
    api = make_token(database, admin)
    response = client.post(f"/api/v1/invitations/{invitation.id}/resend", headers=_bearer(api))
    assert response.status_code == 200
    new_token = response.json()["url"].split("token=")[1]
    assert new_token != old_token
    assert _register(client, old_token).status_code == 400
    assert _register(client, new_token).status_code == 201


def test_invitation_page_shows_states_and_the_link_when_mail_is_off(signed_in, database, admin):
    client = signed_in(admin)
    accepted, token = make_invitation(database, admin, email="accepted@example.org")
    _register(TestClient(client.app, base_url="https://testserver"), token)
    revoked, _token = make_invitation(database, admin, email="revoked@example.org")
    api = make_token(database, admin)
    client.post(f"/api/v1/invitations/{revoked.id}/revoke", headers=_bearer(api))
    page = client.get("/invitations")
    response = client.post(
        "/invitations",
        data={"email": "fresh@example.org", "role": "expert", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 200
    assert "https://testserver/register?token=" in response.text  # the link to pass on
    assert 'data-copy="' in response.text and ">Copy<" in response.text
    # Mail is off: no "Resend" that would send nothing, a new link to pass on instead.
    assert "Resend to" not in response.text and "New link for fresh@example.org" in response.text
    assert "Accepted" in response.text and "Revoked" in response.text and "Pending" in response.text
    with database.unit_of_work(write=False) as session:
        kept = session.exec(
            select(OutboxMessage).where(OutboxMessage.to_address == "fresh@example.org")
        ).one()
    assert "/register?token=" in kept.body and kept.sent_at is None


def test_resend_is_offered_only_when_mail_is_set_up(signed_in, database, admin, settings):
    client = signed_in(admin)
    make_invitation(database, admin, email="pending@example.org")
    assert "New link for pending@example.org" in client.get("/invitations").text
    settings.smtp_url = "smtp://127.0.0.1:2525"
    page = client.get("/invitations").text
    assert "Resend to pending@example.org" in page and "New link for" not in page


def test_invitation_form_errors_keep_the_input(signed_in, moderator):
    client = signed_in(moderator)
    page = client.get("/invitations")
    response = client.post(
        "/invitations", data={"email": "not-an-email", "role": "expert", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 422
    assert 'value="not-an-email"' in response.text
    assert "There is a problem" in response.text


def test_registration_page_signs_the_new_member_in(anonymous, database, admin):
    _invitation, token = make_invitation(database, admin, email="page@example.org")
    page = anonymous.get(f"/register?token={token}")
    assert page.status_code == 200 and "page@example.org" in page.text
    response = anonymous.post(
        "/register",
        data={
            "token": token,
            "name": "Paula Page",
            "organisation": "Court of Appeal",
            "country": "BR",
            "password": "my own long passphrase",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 200
    # A new member lands on the discussions, welcomed by name, not on their profile.
    assert str(response.url) == "https://testserver/"
    assert "Welcome, Paula Page" in response.text and "Your profile" not in response.text
