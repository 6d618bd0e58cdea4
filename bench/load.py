"""Page load benchmark: signed-in pages of a seeded corpus, served as in production, measured with wrk.

    .venv/bin/python bench/load.py                      # 20,000 threads, 200,000 posts, SQLite
    .venv/bin/python bench/load.py --data-dir var/bench  # keep the seeded database and reuse it next time

Steps: migrate and seed a SQLite data directory (`forum db upgrade`, `forum seed-demo`, timed), start
`forum serve --workers 2` (uvicorn with httptools and uvloop), sign in as a demo expert through
/login, then for each page: check one plain request answers 200 (not a redirect to /login), time 30
sequential requests on one connection (server time, no contention), warm up with wrk for 3 s and
measure with `wrk -t2 -c16 -d10s --timeout 10s --latency`. A ~20 KB static file from the same server
is the ceiling: wrk shares the two cores with the server, so the ratio to it says more than the absolute
figures. Prints a Markdown table and writes it as a dated section of bench/RESULTS.md (replacing the
section of the same heading when rerun on the same day).
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
STATIC_FILE = ROOT / "static" / "bench-20k.txt"
SEED_MARKER = "bench-seed.json"
DEMO_PASSWORD = "demo passphrase 2026"  # app.forum.seed.DEMO_PASSWORD, without importing the app

# Targets from the performance issue.
THREAD_MIN_RPS = 1000
P99_MAX_MS = 100
SEED_MAX_SECONDS = 180


@dataclass
class Page:
    name: str
    path: str
    status: int = 0
    size: int = 0
    sequential_ms: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    cpu_ms: float = 0.0
    timeouts: int = 0
    errors: str = ""


def forum(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def prepare(data_dir: Path, env: dict, threads: int, posts: int, seed: int) -> tuple[float, bool]:
    """Migrate and seed, unless this data directory already holds the same corpus."""
    marker = data_dir / SEED_MARKER
    wanted = {"threads": threads, "posts": posts, "seed": seed}
    recorded = json.loads(marker.read_text()) if marker.exists() else None
    exists = (data_dir / "forum.db").exists()
    if exists and recorded is None:
        fail(f"{data_dir} holds a database that this script did not seed; choose another --data-dir")
    if exists and {key: recorded.get(key) for key in wanted} != wanted:
        fail(f"{data_dir} holds another corpus ({recorded}); choose another --data-dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    # Also on a reused database: it gets the migrations added since it was seeded.
    upgraded = forum(env, "db", "upgrade")
    if upgraded.returncode != 0:
        fail(f"forum db upgrade failed:\n{upgraded.stderr}")
    if exists:
        print(f"Reusing the corpus in {data_dir} (seeded in {recorded['seconds']:.1f} s).", file=sys.stderr)
        return recorded["seconds"], True
    print(f"Seeding {threads:,} threads and {posts:,} posts…", file=sys.stderr)
    started = time.perf_counter()
    seeded = forum(env, "seed-demo", "--threads", str(threads), "--posts", str(posts), "--seed", str(seed))
    seconds = time.perf_counter() - started
    if seeded.returncode != 0:
        fail(f"forum seed-demo failed:\n{seeded.stderr}")
    print(seeded.stdout.strip(), file=sys.stderr)
    marker.write_text(json.dumps({**wanted, "seconds": round(seconds, 1)}))
    return seconds, False


def pick_pages(database: Path, static_path: str) -> tuple[list[Page], str]:
    """The pages to measure, and the expert to sign in as."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT thread_id, count(*) AS n, max(depth) AS d FROM post GROUP BY thread_id "
            "HAVING n BETWEEN 45 AND 60 AND d >= 3 ORDER BY abs(n - 50), thread_id LIMIT 1"
        ).fetchone()
        if row is None:
            fail("no thread of 45–60 posts with nesting of depth 3 or more in the corpus")
        thread_id, thread_posts, thread_depth = row
        (sector,) = connection.execute(
            "SELECT s.slug FROM thread t JOIN sector s ON s.id = t.sector_id "
            "GROUP BY s.slug ORDER BY count(*) DESC, s.slug LIMIT 1"
        ).fetchone()
        (email,) = connection.execute(
            "SELECT email FROM user_account WHERE role = 'expert' AND status = 'active' ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    pages = [
        Page(f"thread ({thread_posts} posts, depth {thread_depth})", f"/t/{thread_id}"),
        Page("sector list", f"/s/{sector}"),
        Page("home", "/"),
        Page("coverage matrix", "/coverage"),
        Page("static file, 20 KB (ceiling)", static_path),
    ]
    return pages, email


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port: int, method: str, path: str, cookie: str = "", body: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


def cookies_from(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items() if morsel.value}


def sign_in(port: int, email: str) -> str:
    """The Cookie header of a signed-in session, through the real /login form."""
    status, headers, body = request(port, "GET", "/login")
    if status != 200:
        fail(f"GET /login answered {status}")
    match = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    if not match:
        fail("the sign-in page has no csrf_token field")
    cookie = "; ".join(f"{name}={value}" for name, value in cookies_from(headers).items())
    form = {"email": email, "password": DEMO_PASSWORD, "csrf_token": match.group(1).decode(), "next": "/"}
    status, headers, body = request(port, "POST", "/login", cookie, form)
    session = {name: value for name, value in cookies_from(headers).items() if name.endswith("session")}
    session = {name: value for name, value in session.items() if "presession" not in name}
    if status != 303 or not session:
        fail(f"signing in as {email} failed: {status} {body[:300]!r}")
    return "; ".join(f"{name}={value}" for name, value in session.items())


def wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"the server did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")


def ensure_static_file() -> bool:
    """The ~20 KB static file that is the ceiling; True when this run created it (and must remove it)."""
    if STATIC_FILE.exists():
        return False
    line = "Static ceiling for bench/load.py: a plain file served by the same server.\n"
    STATIC_FILE.write_text(line * (20 * 1024 // len(line)))
    return True


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    """`forum serve --workers 2` in its own process group, logging to `log`, answering /healthz."""
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_until_up(port, server, log)
    return server


def check_page(port: int, page: Page, cookie: str) -> None:
    """One plain request first: a redirect to /login or an error would make wrk measure nothing useful."""
    status, headers, body = request(port, "GET", page.path, cookie)
    page.status, page.size = status, len(body)
    if status != 200:
        fail(f"{page.path} answered {status} (Location: {headers.get('Location')}), not 200")


def sequential_ms(port: int, path: str, cookie: str, count: int = 30) -> float:
    """Median time of one request at a time on a kept-alive connection: the server's own time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return statistics.median(timings)


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNIT_MS[unit]


def wrk(url: str, cookie: str, seconds: int, connections: int, latency: bool) -> str:
    # A 10 s timeout rather than wrk's 2 s, so that slow answers count in the percentiles.
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    if latency:
        command.insert(1, "--latency")
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if result.returncode != 0:
        fail(f"wrk failed: {result.stderr or result.stdout}")
    return result.stdout


def server_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by the server: its supervisor and every descendant."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command name: state, ppid, … utime and stime are the 12th and 13th.
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        grown = bool(children)
        tree |= children
    return sum(times.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def measure(
    page: Page, port: int, cookie: str, seconds: int, warmup: int, connections: int, server_pid: int
) -> None:
    url = f"http://127.0.0.1:{port}{page.path}"
    wrk(url, cookie, warmup, connections, latency=False)
    cpu_before = server_cpu_seconds(server_pid)
    output = wrk(url, cookie, seconds, connections, latency=True)
    cpu = server_cpu_seconds(server_pid) - cpu_before
    page.rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    page.p50_ms = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))
    page.p99_ms = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    page.requests = int(re.search(r"(\d+) requests in", output).group(1))
    # Server CPU per answer: unlike requests/s, barely moved by other work on the machine.
    page.cpu_ms = cpu * 1000 / page.requests if page.requests else 0.0
    problems = []
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        problems.append(f"{match.group(1)} non-2xx/3xx responses")
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        connect, read, write, timeout = (int(n) for n in match.groups())
        if connect or read or write:
            problems.append(f"socket errors: {match.group(0)}")
        # Slower than the timeout: a performance finding, not a broken page.
        page.timeouts = timeout
    page.errors = "; ".join(problems)


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)  # uvicorn's supervisor stops its workers on SIGINT
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the group of the server started above, nothing else
        server.wait()


def machine_note(load: float) -> str:
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0]
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {' '.join(version.split()[:2])}; server `forum serve --workers 2` "
        f"(uvicorn, httptools, uvloop) and wrk on the same machine; 1-minute load average {load:.1f} "
        "when the run started (other work on the machine lowers every figure)"
    )


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return (
        f"{commit} with uncommitted changes"
        if git("status", "--porcelain", "--", "app", "templates")
        else commit
    )


def report(pages: list[Page], args, seed_seconds: float, reused: bool, date: str, load: float) -> str:
    static = pages[-1]
    lines = [
        f"## Page load — {date} ({args.threads:,} threads, {args.posts:,} posts, SQLite)",
        "",
        "`.venv/bin/python bench/load.py` "
        f"(`forum seed-demo --threads {args.threads} --posts {args.posts} --seed {args.seed}`, signed in "
        f"as a demo expert; `wrk -t2 -c{args.connections} -d{args.duration}s --timeout 10s --latency` "
        f'after a {args.warmup} s warm-up; "1 conn ms" is the median of 30 requests one at a time; '
        '"server CPU ms" is the CPU time of the server processes during the wrk run divided by the '
        "requests answered, the figure least moved by other work on the machine). "
        f"Code: {args.code}. Machine: {machine_note(load)}.",
        "",
        "| page | path | KB | 1 conn ms | server CPU ms | requests/s | p50 ms | p99 ms | vs static | target "
        "| met |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for page in pages:
        if page is static:
            target, met = "ceiling", ""
        elif page.name.startswith("thread"):
            target = f"≥ {THREAD_MIN_RPS:,} req/s, p99 < {P99_MAX_MS} ms"
            met = page.rps >= THREAD_MIN_RPS and page.p99_ms < P99_MAX_MS
        else:
            target = f"p99 < {P99_MAX_MS} ms"
            met = page.p99_ms < P99_MAX_MS
        if page.errors:
            met = False
        ratio = page.rps / static.rps if static.rps else 0
        lines.append(
            f"| {page.name} | `{page.path}` | {page.size / 1024:.1f} | {page.sequential_ms:.1f} | "
            f"{page.cpu_ms:.1f} | "
            f"{page.rps:,.0f} | {page.p50_ms:.1f} | {page.p99_ms:.1f} | {ratio:.0%} | {target} | "
            f"{'' if met == '' else 'yes' if met else '**no**'} |"
        )
    seed_note = " (reused from an earlier run)" if reused else ""
    seed_met = "yes" if seed_seconds < SEED_MAX_SECONDS else "**no**"
    lines += [
        "",
        f"Seeding {args.threads:,} threads and {args.posts:,} posts: {seed_seconds:.1f} s{seed_note}, "
        f"`forum db upgrade` excluded (target < {SEED_MAX_SECONDS} s: {seed_met}).",
    ]
    slow = [f"{page.path}: {page.timeouts}" for page in pages if page.timeouts]
    if slow:
        lines += [
            "",
            "Requests that took longer than the 10 s timeout (not counted in p99): " + ", ".join(slow) + ".",
        ]
    errors = [f"{page.path}: {page.errors}" for page in pages if page.errors]
    if errors:
        lines += ["", "Errors: " + "; ".join(errors) + "."]
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    """Append the section, or replace the one with the same heading (a rerun on the same day),
    keeping its "### Findings" part."""
    heading = section.split("\n", 1)[0]
    text = RESULTS.read_text()
    start = text.find(heading + "\n")
    if start >= 0:
        end = text.find("\n## ", start + len(heading))
        old = text[start : end if end >= 0 else len(text)]
        # Findings written by hand under the table stay.
        findings = old.find("\n### Findings")
        if findings >= 0:
            section = section.rstrip("\n") + "\n" + old[findings:].rstrip("\n") + "\n"
        text = text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="keep (or reuse) the seeded SQLite data directory here")
    parser.add_argument("--threads", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds of measurement per page")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        fail("wrk is not installed (apt-get install -y wrk)")

    load = os.getloadavg()[0]
    args.code = code_version()
    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="forum-bench-")) if temporary else args.data_dir.resolve()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORUM_")}
    env.update(
        FORUM_DATA_DIR=str(data_dir),
        FORUM_SECRET_KEY=secrets.token_urlsafe(32),
        FORUM_BASE_URL=f"http://127.0.0.1:{port}",
        FORUM_SESSION_IDLE_MINUTES="100000",
    )
    created_static = False
    server = None
    try:
        seed_seconds, reused = prepare(data_dir, env, args.threads, args.posts, args.seed)
        created_static = ensure_static_file()
        pages, email = pick_pages(data_dir / "forum.db", "/static/" + STATIC_FILE.name)
        server = start_server(env, port, data_dir / "bench-server.log")
        cookie = sign_in(port, email)
        for page in pages:
            check_page(port, page, cookie)
            page.sequential_ms = sequential_ms(port, page.path, cookie)
            print(f"Measuring {page.path}…", file=sys.stderr)
            measure(page, port, cookie, args.duration, args.warmup, args.connections, server.pid)
            if page.errors or page.timeouts:
                print(f"  {page.errors or ''} {page.timeouts} timeouts", file=sys.stderr)
    finally:
        if server is not None:
            stop(server)
        if created_static:
            STATIC_FILE.unlink(missing_ok=True)
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
    if (code := code_version()) != args.code:
        args.code += f" (then {code}: the code changed during the run)"
    section = report(pages, args, seed_seconds, reused, datetime.date.today().isoformat(), load)
    print(section)
    if not args.no_results:
        write_results(section)
        print(f"Written to {RESULTS.relative_to(ROOT)}.", file=sys.stderr)
    if any(page.errors for page in pages):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
