"""The app as a real server process: uvicorn on a socket bound here (no free-port race), with its
own data directory, its admin made by the CLI. Used by the browser tests, the black-box API checks
and the tests that need more than one process."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "admin@example.org"
ADMIN_NAME = "Ada Admin"
ADMIN_PASSWORD = "correct horse battery staple admin"
STARTUP_SECONDS = 20
# The health check talks to 127.0.0.1 directly, whatever http_proxy says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class LiveServer:
    url: str
    port: int
    env: dict[str, str]
    data_dir: Path
    log: Path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """`python -m app ARGS` against this server's data directory; its output."""
        return run_cli(self.env, *args, stdin=stdin)

    def admin_token(self) -> str:
        return self.cli("token", "create", "--email", ADMIN_EMAIL).strip()

    @property
    def database_path(self) -> Path:
        return self.data_dir / "forum.db"


def cli_process(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python -m app ARGS` with this environment, as a user runs it; its outcome, whatever it is."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """`python -m app ARGS`, which must succeed; its output."""
    result = cli_process(env, *args, stdin=stdin)
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
            with OPENER.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = error
        time.sleep(0.05)
    pytest.fail(
        f"{url} did not answer 200 within {STARTUP_SECONDS} s ({last_error}):\n{log.read_text()}",
        pytrace=False,
    )


@contextmanager
def live_server(data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None, quiet: bool = True):
    """A migrated forum with a CLI-made admin, served until the block ends; yields a LiveServer.
    `workers` > 1 runs that many worker processes on the one socket."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "server.log"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn takes a passed descriptor for a Unix socket and leaves Nagle on: every answer on a
    # kept-alive connection would wait ~40 ms for a delayed ACK. Accepted sockets inherit this.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server_env = {
        **os.environ,
        "FORUM_DATA_DIR": str(data_dir),
        "FORUM_SECRET_KEY": "live-test-secret-key-not-for-production",
        "FORUM_BASE_URL": url,
        "FORUM_SMTP_URL": "",
    }
    server_env.pop("FORUM_DATABASE_URL", None)
    server_env.update(env or {})
    server = LiveServer(url=url, port=port, env=server_env, data_dir=data_dir, log=log)
    try:
        server.cli("db", "upgrade")
        server.cli(
            "create-admin", "--email", ADMIN_EMAIL, "--name", ADMIN_NAME, "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )  # fmt: skip
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        command += ["--fd", str(sock.fileno()), "--workers", str(workers)]
        command += ["--log-level", "warning"] + (["--no-access-log"] if quiet else [])
        # The server's output goes to a file, not a pipe nobody reads (a full pipe would block it).
        with log.open("w") as log_file:
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=server_env,
                pass_fds=(sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
    finally:
        sock.close()  # the server holds its own copy of the descriptor
    try:
        _wait_until_healthy(proc, f"{url}/healthz", log)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
