"""End-to-end fixtures: Debian's Chromium for pytest-playwright, the app as a real uvicorn server
on a socket bound here (no free-port race) with its own data directory, and an axe check."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ADMIN_EMAIL = "admin@example.org"
ADMIN_NAME = "Ada Admin"
ADMIN_PASSWORD = "correct horse battery staple admin"
STARTUP_SECONDS = 20
# The health check talks to 127.0.0.1 directly, whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# The environment each running server was started with, by its URL: the CLI helpers below use it.
_SERVER_ENVS: dict[str, dict[str, str]] = {}


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


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`python -m app {' '.join(args)}` exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}",
            pytrace=False,
        )
    return result.stdout


def _wait_until_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the app exited with {proc.returncode} while starting:\n{log.read_text()}", pytrace=False
            )
        try:
            with _OPENER.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = error
        time.sleep(0.05)
    pytest.fail(
        f"{url} did not answer 200 within {STARTUP_SECONDS} s ({last_error}):\n{log.read_text()}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def base_url(tmp_path_factory) -> Iterator[str]:
    """The app under test, served by uvicorn from a socket bound here; the admin is made by the CLI."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    log = data_dir / "server.log"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FORUM_DATA_DIR": str(data_dir),
        "FORUM_SECRET_KEY": "e2e-test-secret-key-not-for-production",
        "FORUM_BASE_URL": url,
        "FORUM_SMTP_URL": "",
    }
    env.pop("FORUM_DATABASE_URL", None)
    _SERVER_ENVS[url] = env
    try:
        _cli(env, "db", "upgrade")
        _cli(
            env,
            "create-admin",
            "--email",
            ADMIN_EMAIL,
            "--name",
            ADMIN_NAME,
            "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )
        # The server's output goes to a file, not a pipe nobody reads (a full pipe would block it).
        with log.open("w") as log_file:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "app.main:create_app",
                    "--factory",
                    "--fd",
                    str(sock.fileno()),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                pass_fds=(sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
    finally:
        sock.close()  # the server holds its own copy of the descriptor
    try:
        _wait_until_healthy(proc, f"{url}/healthz", log)
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if server_errors := log.read_text().strip():
            print(f"\n--- app server log ({log}) ---\n{server_errors}", file=sys.stderr)


def app_cli(base_url: str, *args: str, stdin: str | None = None) -> str:
    """`python -m app ARGS` against the data directory of the server at base_url; its output."""
    return _cli(_SERVER_ENVS[base_url], *args, stdin=stdin)


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
        with _OPENER.open(request, timeout=10) as response:
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
