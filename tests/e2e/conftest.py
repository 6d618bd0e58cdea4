"""End-to-end fixtures: Debian's Chromium for pytest-playwright, the app as a real uvicorn server
on a socket bound here (no free-port race) with its own data directory, and an axe check."""

import json
import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from tests.live import ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, OPENER, LiveServer, live_server

__all__ = ["ADMIN_EMAIL", "ADMIN_NAME", "ADMIN_PASSWORD"]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Each running server by its URL: the CLI helpers below use its data directory.
_SERVERS: dict[str, LiveServer] = {}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        message = (
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium, "
            "or set CHROMIUM_PATH (never `playwright install`)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def base_url(tmp_path_factory) -> Iterator[str]:
    """The app under test, served by uvicorn from a socket bound here; the admin is made by the CLI."""
    with live_server(tmp_path_factory.mktemp("e2e-data")) as server:
        _SERVERS[server.url] = server
        try:
            yield server.url
        finally:
            if server_errors := server.log.read_text().strip():
                print(f"\n--- app server log ({server.log}) ---\n{server_errors}", file=sys.stderr)


def app_cli(base_url: str, *args: str, stdin: str | None = None) -> str:
    """`python -m app ARGS` against the data directory of the server at base_url; its output."""
    return _SERVERS[base_url].cli(*args, stdin=stdin)


def api(base_url: str, method: str, path: str, payload: dict | None = None, token: str | None = None):
    """A JSON call to the server under test (no proxy); the decoded answer, or a failed test."""
    headers = {"Accept": "application/json"}
    if payload is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(payload).encode() if payload is not None else None
    url = f"{base_url}{path}"  # always the http:// server under test
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with OPENER.open(request, timeout=10) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as error:
        pytest.fail(f"{method} {path} answered {error.code}: {error.read().decode()}", pytrace=False)
    return json.loads(text) if text else None


def admin_token(base_url: str) -> str:
    """A personal access token of the CLI-made admin, from `python -m app token create`."""
    return app_cli(base_url, "token", "create", "--email", ADMIN_EMAIL).strip()


def create_member(
    base_url: str, token: str, email: str, name: str, password: str, role: str = "expert", **fields
) -> dict:
    """A member made without the browser: an invitation by token (an admin's), registration by API."""
    invitation = api(base_url, "POST", "/api/v1/invitations", {"email": email, "role": role}, token)
    invite_token = urllib.parse.parse_qs(urllib.parse.urlsplit(invitation["url"]).query)["token"][0]
    return api(
        base_url,
        "POST",
        "/api/v1/register",
        {"token": invite_token, "name": name, "password": password, **fields},
    )


def axe_violations(page) -> list[dict]:
    """The axe-core violations of serious or critical impact on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [item for item in violations if item.get("impact") in ("serious", "critical")]


def axe_check(page) -> None:
    """Fail on axe-core violations of serious or critical impact on the current page."""
    severe = axe_violations(page)
    assert not severe, f"axe found accessibility violations on {page.url}: " + ", ".join(
        f"({item['id']}, {item['impact']}, {len(item['nodes'])} nodes)" for item in severe
    )
