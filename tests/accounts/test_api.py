"""The JSON API: tokens, /me, error shapes, and who may call what."""

import pytest

from tests.conftest import csrf_from, shown_once
from tests.factories import make_token


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_me_with_a_personal_access_token(anonymous, database, expert):
    token = make_token(database, expert)
    response = anonymous.get("/api/v1/me", headers=_bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == expert.email and body["role"] == "expert"
    assert body["created_at"].endswith("Z")
    assert "password_hash" not in body


def test_me_without_credentials_is_401_json(anonymous):
    response = anonymous.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Token abc"])
def test_malformed_or_unknown_tokens_are_401(anonymous, header):
    response = anonymous.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401 and response.json()["detail"]


def test_token_created_on_the_profile_page_works_until_revoked(signed_in, anonymous, expert):
    client = signed_in(expert)
    response = client.post(
        "/profile/tokens",
        data={"name": "citation export", "csrf_token": csrf_from(client.get("/profile").text)},
    )
    assert "it will not be shown again" in response.text
    raw = shown_once(response.text)
    assert raw.startswith("lef_")
    assert anonymous.get("/api/v1/me", headers=_bearer(raw)).status_code == 200
    # Shown once: the next page view does not repeat it.
    assert raw not in client.get("/profile").text
    token_id = response.text.split("/profile/tokens/", 1)[1].split("/revoke", 1)[0]
    client.post(
        f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(client.get("/profile").text)}
    )
    assert anonymous.get("/api/v1/me", headers=_bearer(raw)).status_code == 401


def test_a_member_cannot_revoke_someone_elses_token(signed_in, anonymous, database, expert, moderator):
    theirs = make_token(database, moderator)
    client = signed_in(expert)
    from sqlmodel import select

    from app.accounts.models import ApiToken

    with database.unit_of_work(write=False) as session:
        token_id = session.exec(select(ApiToken.id).where(ApiToken.user_id == moderator.id)).one()
    response = client.post(
        f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(client.get("/profile").text)}
    )
    assert response.status_code == 404
    assert anonymous.get("/api/v1/me", headers=_bearer(theirs)).status_code == 200


ADMIN_CALLS = [
    ("get", "/api/v1/users", None),
    ("post", "/api/v1/users/{id}/role", {"role": "admin"}),
    ("post", "/api/v1/users/{id}/suspend", {"reason": "x"}),
    ("post", "/api/v1/users/{id}/unsuspend", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_an_expert_calling_admin_endpoints_gets_403(
    anonymous, database, expert, moderator, method, path, body
):
    token = make_token(database, expert)
    response = getattr(anonymous, method)(
        path.format(id=moderator.id), headers=_bearer(token), **({"json": body} if body else {})
    )
    assert response.status_code == 403
    assert response.json()["detail"]


@pytest.mark.parametrize("path", ["/admin/users", "/invitations"])
def test_an_expert_opening_admin_pages_gets_403(signed_in, expert, path):
    assert signed_in(expert).get(path).status_code == 403


def test_a_moderator_cannot_change_roles_or_list_accounts(anonymous, database, moderator, expert):
    token = make_token(database, moderator)
    response = anonymous.post(
        f"/api/v1/users/{expert.id}/role", json={"role": "admin"}, headers=_bearer(token)
    )
    assert response.status_code == 403
    assert anonymous.get("/api/v1/users", headers=_bearer(token)).status_code == 403


def test_admin_changes_a_role_and_it_is_audited(anonymous, database, admin, expert):
    token = make_token(database, admin)
    response = anonymous.post(
        f"/api/v1/users/{expert.id}/role", json={"role": "moderator"}, headers=_bearer(token)
    )
    assert response.status_code == 200 and response.json()["role"] == "moderator"
    from sqlmodel import select

    from app.audit import AuditEntry

    with database.unit_of_work(write=False) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "user.role")).all()
    assert [(e.actor_id, e.target_id) for e in entries] == [(admin.id, expert.id)]


def test_admin_cannot_suspend_themself(anonymous, database, admin):
    token = make_token(database, admin)
    response = anonymous.post(
        f"/api/v1/users/{admin.id}/suspend", json={"reason": "x"}, headers=_bearer(token)
    )
    assert response.status_code == 403


def test_unknown_user_is_404(anonymous, database, admin):
    token = make_token(database, admin)
    response = anonymous.post("/api/v1/users/999999/unsuspend", headers=_bearer(token))
    assert response.status_code == 404 and response.json()["detail"]


def test_invalid_json_body_is_422_with_detail(anonymous, database, admin):
    token = make_token(database, admin)
    response = anonymous.post("/api/v1/invitations", json={"role": "emperor"}, headers=_bearer(token))
    assert response.status_code == 422
    assert "email" in response.json()["detail"] and "role" in response.json()["detail"]


def test_openapi_document_is_served(anonymous):
    spec = anonymous.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in spec["paths"] and "/api/v1/register" in spec["paths"]


@pytest.mark.parametrize("path", ["//api//v1//me", "/api//v1/nothing", "/api/v1/nothing", "/api"])
def test_every_api_address_answers_errors_in_json(anonymous, path):
    response = anonymous.get("https://testserver" + path)  # whole, or "//api" would be read as a host
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_method_an_api_route_does_not_take_is_405_json(anonymous):
    response = anonymous.delete("/api/v1/search")
    assert response.status_code == 405
    assert response.json()["detail"]
