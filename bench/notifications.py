"""Costs that must not grow with use, on SQLite and PostgreSQL: the thread page read by a member with
20,000 unread notifications against the same member with none, and replies per second through the API.

    .venv/bin/python bench/notifications.py                    # both engines
    .venv/bin/python bench/notifications.py --engine sqlite    # one

For each engine: a fresh database (a new PostgreSQL database on FORUM_BENCH_PG, default
postgresql+psycopg://postgres@127.0.0.1:5432, dropped afterwards), `forum db upgrade`, `forum seed-demo
--threads 3000 --posts 20000`; 50 members watch the thread written to. `forum serve --workers 2`
serves it. Reading: one demo expert reads the thread page with no notifications, then with 20,000
unread about other threads (as a month of busy watched threads leaves), then a 20 KB static file is
read; twice in turn, averaged, with `wrk -t2 -c16 -d10s` after a 3 s warm-up (bench/load.py's
measurement). Writing: 8 clients, each a member with a personal access token and a kept-alive
connection, post replies to the watched thread through `POST /api/v1/threads/{id}/posts` for 10 s.
Afterwards each watcher must hold one unread notification for the thread counting every reply
(collapsed), which the script checks. Writes a dated section of bench/RESULTS.md.
"""

import argparse
import datetime
import http.client
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (bench/load.py: the same server start, sign-in and wrk measurement)
from sqlalchemy import bindparam, create_engine, text  # noqa: E402

ROOT = load.ROOT
UNREAD = 20_000
WATCHERS = 50
WRITERS = 8
ROUNDS = 2  # each page measured twice, alternating with the others
READ_WITHIN = 0.10  # the page with 20,000 unread within 10 % of the same page with none
REPLIES_MIN = 300  # replies/s on SQLite through the API


def database_for(engine: str, data_dir: Path, admin_url: str) -> tuple[str, str | None]:
    if engine == "sqlite":
        return f"sqlite:///{data_dir / 'forum.db'}", None
    name = f"bench_notifications_{secrets.token_hex(4)}"
    admin = create_engine(f"{admin_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{admin_url}/{name}", name


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(f"{admin_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str) -> dict:
    """The thread written to, its watchers, the reader and the threads of their notifications, the
    writers."""
    engine = create_engine(url)
    with engine.begin() as db:
        thread_id, posts = db.execute(
            text(
                "SELECT thread_id, count(*) AS n FROM post GROUP BY thread_id "
                "HAVING count(*) BETWEEN 15 AND 40 ORDER BY abs(count(*) - 25), thread_id LIMIT 1"
            )
        ).one()
        experts = list(
            db.execute(
                text(
                    "SELECT id, email FROM user_account WHERE status = 'active' "
                    "ORDER BY CASE WHEN role = 'expert' THEN 0 ELSE 1 END, id"
                )
            ).all()
        )
        # An expert reads, as in bench/load.py (a moderator's page also carries the tools).
        reader, others = experts[0], experts[1:]
        watchers = [row.id for row in others[:WATCHERS]]
        writers = [row.email for row in others[-WRITERS:]]
        elsewhere = [
            row[0]
            for row in db.execute(
                text("SELECT id FROM thread WHERE id != :t ORDER BY id LIMIT 2000"), {"t": thread_id}
            ).all()
        ]
        db.execute(
            text("DELETE FROM watch WHERE target_type = 'thread' AND target_id = :t"), {"t": thread_id}
        )
        db.execute(
            text("INSERT INTO watch (user_id, target_type, target_id) VALUES (:u, 'thread', :t)"),
            [{"u": user_id, "t": thread_id} for user_id in watchers],
        )
        db.execute(text("DELETE FROM notification WHERE thread_id = :t"), {"t": thread_id})
    engine.dispose()
    return {
        "thread_id": thread_id,
        "posts": posts,
        "reader": reader.email,
        "reader_id": reader.id,
        "elsewhere": elsewhere,
        "watchers": watchers,
        "writers": writers,
    }


def pile_up(url: str, user_id: int, threads: list[int], on: bool) -> None:
    """Give the reader UNREAD unread notifications about other threads, or take them away."""
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("DELETE FROM notification WHERE user_id = :u"), {"u": user_id})
        if on:
            db.execute(
                text(
                    "INSERT INTO notification (user_id, kind, thread_id, created_at, count) "
                    "VALUES (:u, 'watched_reply', :t, CURRENT_TIMESTAMP, 1)"
                ),
                [{"u": user_id, "t": threads[i % len(threads)]} for i in range(UNREAD)],
            )
    engine.dispose()


def write_load(port: int, thread_id: int, tokens: list[str], seconds: float) -> dict:
    """WRITERS clients posting replies as fast as they are answered; latencies in ms."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(token: str, number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sent = 0
        mine: list[float] = []
        while time.monotonic() < deadline:
            body = json.dumps({"body": f"Client {number}, reply {sent}: the consignment was re-exported."})
            started = time.perf_counter()
            connection.request("POST", f"/api/v1/threads/{thread_id}/posts", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if response.status != 201:
                with lock:
                    failures.append(f"{response.status} {payload[:200]!r}")
                break
            mine.append((time.perf_counter() - started) * 1000)
            sent += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(token, n)) for n, token in enumerate(tokens)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "replies": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p99": latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0,
        "failures": failures,
    }


def check_collapsed(url: str, thread_id: int, watchers: list[int], writer_ids: set[int], replies: int) -> str:
    engine = create_engine(url)
    with engine.connect() as db:
        rows = db.execute(
            text(
                "SELECT user_id, count(*), sum(count) FROM notification "
                "WHERE thread_id = :t AND read_at IS NULL GROUP BY user_id"
            ),
            {"t": thread_id},
        ).all()
        outbox = db.execute(text("SELECT count(*) FROM outbox_message")).scalar_one()
    engine.dispose()
    held = {user_id: (items, total) for user_id, items, total in rows}
    listeners = [w for w in watchers if w not in writer_ids]
    wrong = [w for w in listeners if held.get(w) != (1, replies)]
    if wrong:
        return (
            f"**no**: {len(wrong)} of {len(listeners)} watchers hold {held.get(wrong[0])}, not (1, {replies})"
        )
    return f"yes: each of {len(listeners)} watchers holds 1 unread item counting {replies:,}; outbox {outbox}"


def run(engine_name: str, args) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"forum-bench-notifications-{engine_name}-"))
    url, pg_name = database_for(engine_name, data_dir, args.pg)
    port = load.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORUM_")}
    env.update(
        FORUM_DATA_DIR=str(data_dir),
        FORUM_DATABASE_URL=url,
        FORUM_SECRET_KEY=secrets.token_urlsafe(32),
        FORUM_BASE_URL=f"http://127.0.0.1:{port}",
        FORUM_SESSION_IDLE_MINUTES="100000",
    )
    server = None
    created_static = False
    try:
        for command in (["db", "upgrade"], ["seed-demo", "--threads", "3000", "--posts", "20000"]):
            print(f"{engine_name}: forum {' '.join(command)}…", file=sys.stderr)
            done = load.forum(env, *command)
            if done.returncode != 0:
                load.fail(f"forum {' '.join(command)} failed:\n{done.stderr}")
        plan = prepare(url)
        tokens = []
        for email in plan["writers"]:
            made = load.forum(env, "token", "create", "--email", email, "--name", "bench")
            if made.returncode != 0:
                load.fail(f"forum token create failed:\n{made.stderr}")
            tokens.append(made.stdout.strip().split()[-1])
        created_static = load.ensure_static_file()
        server = load.start_server(env, port, data_dir / "bench-server.log")
        path = f"/t/{plan['thread_id']}"
        pages = []
        rounds: dict[str, list] = {}
        cookie = load.sign_in(port, plan["reader"])
        for unread in ("0", f"{UNREAD:,}"):
            page = load.Page(f"thread ({plan['posts']} posts), reader with {unread} unread", path)
            pages.append((page, cookie))
        pages.append((load.Page("static file, 20 KB (ceiling)", "/static/" + load.STATIC_FILE.name), ""))
        # One reader, with none and then with UNREAD unread notifications (the same page but for the
        # header's "99+"), alternating ROUNDS times and averaged: a drift of the machine during the
        # run must not read as a difference between the two.
        for _round in range(ROUNDS):
            for number, (page, cookie) in enumerate(pages):
                if number < 2:
                    pile_up(url, plan["reader_id"], plan["elsewhere"], on=number == 1)
                load.check_page(port, page, cookie)
                print(f"{engine_name}: measuring {page.name} ({page.size:,} bytes)…", file=sys.stderr)
                runs = rounds.setdefault(page.name, [])
                probe = load.Page(page.name, page.path)
                load.measure(probe, port, cookie, args.duration, args.warmup, 16, server.pid)
                runs.append(probe)
        for page, _cookie in pages:
            runs = rounds[page.name]
            page.rps = statistics.mean(run.rps for run in runs)
            page.p50_ms = statistics.mean(run.p50_ms for run in runs)
            page.p99_ms = max(run.p99_ms for run in runs)
            page.cpu_ms = statistics.mean(run.cpu_ms for run in runs)
        print(f"{engine_name}: {WRITERS} clients replying for {args.duration} s…", file=sys.stderr)
        writes = write_load(port, plan["thread_id"], tokens, args.duration)
    finally:
        if server is not None:
            load.stop(server)
        if created_static:
            load.STATIC_FILE.unlink(missing_ok=True)
    engine = create_engine(url)
    with engine.connect() as db:
        writer_ids = {
            row[0]
            for row in db.execute(
                text("SELECT id FROM user_account WHERE email IN :emails").bindparams(
                    bindparam("emails", expanding=True)
                ),
                {"emails": plan["writers"]},
            ).all()
        }
    engine.dispose()
    collapsed = check_collapsed(url, plan["thread_id"], plan["watchers"], writer_ids, writes["replies"])
    if pg_name:
        drop_database(args.pg, pg_name)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "engine": engine_name,
        "pages": [page for page, _cookie in pages],
        "writes": writes,
        "collapsed": collapsed,
    }


def report(results: list[dict], args, date: str, load_average: float) -> str:
    lines = [
        f"## Notifications and writes — {date} (3,000 threads, 20,000 posts; SQLite and PostgreSQL)",
        "",
        "`.venv/bin/python bench/notifications.py` (see its docstring; one run per engine, "
        f"`wrk -t2 -c16 -d{args.duration}s` after a {args.warmup} s warm-up, {ROUNDS} alternating rounds "
        f"averaged (p99: the worse round), {WRITERS} API writers for "
        f"{args.duration} s on a thread that {WATCHERS} members watch). Code: {args.code}. "
        f"Machine: {load.machine_note(load_average)}.",
        "",
        "| engine | page | requests/s | p50 ms | p99 ms | server CPU ms | vs static | vs reader with none |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        quiet, busy, static = result["pages"]
        for page in (quiet, busy, static):
            ratio = page.rps / static.rps if static.rps else 0
            versus = "" if page is not busy else f"{busy.rps / quiet.rps - 1:+.1%}"
            lines.append(
                f"| {result['engine']} | {page.name} | {page.rps:,.0f} | {page.p50_ms:.1f} | "
                f"{page.p99_ms:.1f} | {page.cpu_ms:.1f} | {ratio:.0%} | {versus} |"
            )
    lines += [
        "",
        f"| engine | replies in {args.duration} s | replies/s | p50 ms | p99 ms | failures "
        "| one unread item per watcher |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        w = result["writes"]
        lines.append(
            f"| {result['engine']} | {w['replies']:,} | {w['per_second']:,.0f} | {w['p50']:.1f} | "
            f"{w['p99']:.1f} | {len(w['failures'])} | {result['collapsed']} |"
        )
    lines += [
        "",
        f"Targets (issue 13): the page of a reader with {UNREAD:,} unread within "
        f"{READ_WITHIN:.0%} of the same reader's with none; the "
        f"thread page ≥ 1,000 req/s or ≥ 25 % of the static file, p99 < 50 ms; ≥ {REPLIES_MIN} replies/s "
        "on SQLite through the API.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--pg", default=os.environ.get("FORUM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        load.fail("wrk is not installed (apt-get install -y wrk)")
    load_average = os.getloadavg()[0]
    args.code = load.code_version()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    results = [run(engine, args) for engine in engines]
    section = report(results, args, datetime.date.today().isoformat(), load_average)
    print(section)
    if not args.no_results:
        load.write_results(section)


if __name__ == "__main__":
    main()
