"""CSRF, brute force, enumeration, redirects, headers and cookies."""

from fastapi.testclient import TestClient

from tests.conftest import csrf_from, sign_in
from tests.factories import PASSWORD


def test_sign_in_form_without_csrf_token_is_refused(client, expert):
    client.get("/login")
    response = client.post("/login", data={"email": expert.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "__Host-session" not in response.headers.get("set-cookie", "")


def test_sign_in_form_with_wrong_csrf_token_is_refused(client, expert):
    client.get("/login")
    response = client.post(
        "/login", data={"email": expert.email, "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert response.status_code == 403


def test_csrf_token_of_another_visitor_is_refused(app, client, expert):
    other = TestClient(app, base_url="https://testserver")
    stolen = csrf_from(other.get("/login").text)
    client.get("/login")
    response = client.post("/login", data={"email": expert.email, "password": PASSWORD, "csrf_token": stolen})
    assert response.status_code == 403


def test_signed_in_form_without_csrf_is_refused_and_changes_nothing(signed_in, expert):
    client = signed_in(expert)
    response = client.post("/profile", data={"name": "Changed Name", "organisation": "", "country": "FR"})
    assert response.status_code == 403
    assert "Changed Name" not in client.get("/profile").text


def test_pre_session_csrf_token_does_not_work_once_signed_in(client, expert):
    presession_token = csrf_from(client.get("/login").text)
    sign_in(client, expert.email)
    response = client.post("/profile", data={"name": "Changed", "csrf_token": presession_token})
    assert response.status_code == 403


def test_cross_site_form_post_is_refused_even_with_a_valid_token(signed_in, expert):
    client = signed_in(expert)
    token = csrf_from(client.get("/profile").text)
    response = client.post(
        "/profile",
        data={"name": "Changed", "csrf_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    response = client.post(
        "/profile",
        data={"name": "Same Site", "country": "", "csrf_token": token},
        headers={"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_cookie_authenticated_api_write_needs_csrf_header(signed_in, admin):
    client = signed_in(admin)
    response = client.post("/api/v1/invitations", json={"email": "x@example.org", "role": "expert"})
    assert response.status_code == 403
    token = csrf_from(client.get("/profile").text)
    response = client.post(
        "/api/v1/invitations",
        json={"email": "x@example.org", "role": "expert"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201


def test_sixth_wrong_password_in_a_row_is_answered_429(client, expert):
    for attempt in range(5):
        response = sign_in(client, expert.email, f"wrong password {attempt}")
        assert response.status_code == 401, attempt
    response = sign_in(client, expert.email, "wrong password 6")
    assert response.status_code == 429
    # The right password does not get through while the limit holds: that is what stops guessing.
    response = sign_in(client, expert.email, PASSWORD)
    assert response.status_code == 429
    assert "__Host-session" not in response.headers.get("set-cookie", "")


def test_sign_in_limit_counts_per_account_not_per_form(app, expert):
    for attempt in range(5):
        fresh = TestClient(app, base_url="https://testserver")
        assert sign_in(fresh, expert.email, f"nope nope {attempt}").status_code == 401
    fresh = TestClient(app, base_url="https://testserver")
    assert sign_in(fresh, expert.email, "nope nope 6").status_code == 429


def test_successful_sign_in_resets_the_failure_count(client, expert):
    for attempt in range(4):
        assert sign_in(client, expert.email, f"wrong password {attempt}").status_code == 401
    assert sign_in(client, expert.email).status_code == 303
    client.cookies.clear()
    for attempt in range(4):
        assert sign_in(client, expert.email, f"wrong again {attempt}").status_code == 401


def _error_text(html: str) -> str:
    start = html.index('<div class="error-summary"')
    return html[start : html.index("</div>", start)]


def test_unknown_email_and_wrong_password_get_the_same_answer(client, expert):
    unknown = sign_in(client, "nobody@example.org", "whatever whatever")
    wrong = sign_in(client, expert.email, "whatever whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert _error_text(unknown.text) == _error_text(wrong.text)


def test_next_redirect_stays_on_the_site(client, expert):
    token = csrf_from(client.get("/login").text)
    for target in [
        "https://elsewhere.example/x",
        "//elsewhere.example",
        "/\\elsewhere.example",
        "javascript:alert(1)",
        "https:/elsewhere.example",
    ]:
        client.cookies.clear()
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            data={"email": expert.email, "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/", target
    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": expert.email, "password": PASSWORD, "csrf_token": token, "next": "/profile#tokens"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/profile#tokens"


def test_pages_require_a_session_and_remember_where_you_were_going(client):
    response = client.get("/profile", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprofile"


def test_every_response_carries_the_security_headers(client):
    for path in ["/login", "/api/v1/me", "/no-such-page", "/static/css/site.css"]:
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


def test_session_cookie_is_host_prefixed_httponly_lax_and_secure(client, expert):
    response = sign_in(client, expert.email)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-session="))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "secure" in attributes and "samesite=lax" in attributes
    assert "path=/" in attributes and not any(a.startswith("domain=") for a in attributes)


def test_sign_in_rotates_the_session_token(client, expert):
    first = sign_in(client, expert.email).cookies.get("__Host-session")
    client.cookies.clear()
    second = sign_in(client, expert.email).cookies.get("__Host-session")
    assert first and second and first != second


def test_nothing_changes_state_on_get(signed_in, expert):
    client = signed_in(expert)
    response = client.get("/logout")
    assert response.status_code == 200
    assert client.get("/profile").status_code == 200  # still signed in


def test_sign_in_limit_also_counts_per_address(app, database, settings):
    from tests.factories import make_user

    settings.signin_address_limit = 3
    users = [make_user(database) for _ in range(4)]
    client = TestClient(app, base_url="https://testserver")
    for user in users[:3]:
        assert sign_in(client, user.email, "not their password").status_code == 401
    # A fourth account from the same address is refused before its password is even checked.
    assert sign_in(client, users[3].email, PASSWORD).status_code == 429
