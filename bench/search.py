"""Search benchmark: the full search page's service call on a seeded corpus, SQLite and PostgreSQL.

    .venv/bin/python bench/search.py --engine sqlite --posts 200000 --data-dir 'var/bench-search-{posts}'
    .venv/bin/python bench/search.py --posts 200000,1000000 --data-dir 'var/bench-search-{posts}'

For each engine and corpus size (threads = posts / 10):

1. Seed: `forum db upgrade` and `forum seed-demo --threads T --posts P --seed 1` in a subprocess
   (FORUM_DATA_DIR for SQLite, FORUM_DATABASE_URL for a throwaway PostgreSQL database), timed.
   seed-demo also indexes the posts as it inserts them. With --data-dir, a SQLite corpus seeded by
   an earlier run is reused (the marker file bench-search-seed.json says what it holds); {posts} in
   the path is replaced by the size. PostgreSQL databases are named forum_bench_search_<posts> and
   dropped at the end unless --keep-databases (or --skip-seed, which reuses an existing one).
2. Index build: `forum search reindex` in a subprocess, timed (on PostgreSQL followed by
   VACUUM ANALYZE, which autovacuum would do after the mass delete and insert).
3. Index size: SQLite, the pages of the search_index* tables (dbstat); PostgreSQL,
   pg_total_relation_size('search_index') (heap, TOAST and the three GIN indexes).
4. Latency: the 50 queries of QUERIES (fixed; rare, common, phrases, filters, negations, OR,
   prefixes, in:title, five sorted by date), each run once to warm up and then --runs times, each
   time as the search page does it: `app.search.service.search(session, expert, q, sort=…,
   with_facets=True)` in a fresh read session, timed with time.perf_counter. p50/p95/p99 over all
   executions. Every SQL statement is timed as well (from its start to the next statement's start,
   so fetching and building the result count with it), to show which part is slow: filters (taxonomy
   lookups and date bounds before the match), window (match, rank, live checks, sorting and facet
   counts in Python), facets (their labels), hits (posts, threads, jurisdictions), snippets.

Prints Markdown and writes it as the dated section "## Search — <date>" of bench/RESULTS.md; the
results of each engine and size are kept in var/bench-search-results.json, so runs of one engine or
size at a time add up to one section (a rerun replaces its own rows). A "### Findings" part written
by hand under the section is kept when the section is regenerated.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "RESULTS.md"
CACHE = ROOT / "var" / "bench-search-results.json"
SEED_MARKER = "bench-search-seed.json"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/"
PG_PREFIX = "forum_bench_search_"
BENCH_KEY = "bench-search-not-a-secret"  # signs nothing: no server runs

# Targets from the search issue (SQLite, the full search page including facets).
P95_TARGET_MS = {200_000: 50.0, 1_000_000: 150.0}

# The query mix: (kind, query, sort). Words come from the seed vocabulary (app/forum/seed.py);
# "rare" words were picked by document frequency in the seed-1 corpus (17 to 300 of 200,000 posts,
# fts5vocab). Some filters match nothing in the demo corpus (no attachments): still measured.
QUERIES: list[tuple[str, str, str]] = [
    # common words, alone and together
    ("common", "counterfeit", "relevance"),
    ("common", "court", "relevance"),
    ("common", "offence", "relevance"),
    ("common", "customs", "relevance"),
    ("common", "evidence", "relevance"),
    ("common", "laboratory", "relevance"),
    ("common", "counterfeit cigarettes", "relevance"),
    ("common", "money laundering confiscation", "relevance"),
    ("common", "mutual legal assistance request", "relevance"),
    ("common", "falsified medicines online", "relevance"),
    # rare words
    ("rare", "Shikongo", "relevance"),
    ("rare", "Chittagong", "relevance"),
    ("rare", "Greaves", "relevance"),
    ("rare", "Mombasa", "relevance"),
    ("rare", "Felixstowe", "relevance"),
    ("rare", "Andean", "relevance"),
    ("rare", "Durban", "relevance"),
    ("rare", "2317", "relevance"),
    # phrases
    ("phrase", '"bonded warehouse"', "relevance"),
    ("phrase", '"free trade zone"', "relevance"),
    ("phrase", '"wilful blindness satisfies the knowledge requirement"', "relevance"),
    ("phrase", '"controlled delivery"', "relevance"),
    ("phrase", '"European Court of Human Rights"', "relevance"),
    ("phrase", '"dual criminality" extradition', "relevance"),
    # filters, with words and alone
    ("filter", "counterfeit sector:tobacco", "relevance"),
    ("filter", "court jurisdiction:FR", "relevance"),
    ("filter", "sentencing after:2024-01-01", "relevance"),
    ("filter", 'customs tag:"free trade zones"', "relevance"),
    ("filter", "appeal status:locked", "relevance"),
    ("filter", "extradition instrument:untoc", "relevance"),
    ("filter", "evidence has:attachment", "relevance"),
    ("filter", "confiscation after:2021-01-01 before:2022-01-01", "relevance"),
    ("filter", "sector:tobacco", "relevance"),
    ("filter", "jurisdiction:KE after:2025-01-01", "relevance"),
    # negations
    ("negation", "counterfeit -cigarettes", "relevance"),
    ("negation", 'customs -"bonded warehouse"', "relevance"),
    ("negation", "seizure -transit -tobacco", "relevance"),
    # OR groups
    ("or", 'ivory OR "rhino horn"', "relevance"),
    ("or", '(extradition OR "mutual legal assistance") confiscation', "relevance"),
    ("or", "Rotterdam OR Antwerp OR Hamburg", "relevance"),
    # prefixes
    ("prefix", "counterf*", "relevance"),
    ("prefix", "launder*", "relevance"),
    ("prefix", "pharma*", "relevance"),
    # in:title, in:attachments
    ("title", "sentencing in:title", "relevance"),
    ("title", '"predicate offence" in:title', "relevance"),
    # sorted by date
    ("date", "counterfeit", "date"),
    ("date", "court", "date"),
    ("date", '"bonded warehouse"', "date"),
    ("date", "customs -tobacco", "date"),
    ("date", "in:attachments court", "date"),
]
assert len(QUERIES) == 50


@dataclass
class QueryResult:
    kind: str
    query: str
    sort: str
    total: int = 0
    times_ms: list[float] = field(default_factory=list)
    parts_ms: dict[str, float] = field(default_factory=dict)  # median per part over the runs


@dataclass
class Run:
    engine: str
    posts: int
    threads: int
    date: str
    runs: int
    seed_seconds: float | None = None
    seed_reused: bool = False
    reindex_seconds: float | None = None
    index_bytes: int | None = None
    index_note: str = ""
    database_bytes: int | None = None
    load: float = 0.0
    queries: list[QueryResult] = field(default_factory=list)


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def forum(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )


def psql_tool(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool, "-h", "127.0.0.1", "-U", "postgres", *args], capture_output=True, text=True, check=False
    )


# --- Preparing a corpus --------------------------------------------------------------------------


def seed(env: dict, threads: int, posts: int) -> float:
    upgraded = forum(env, "db", "upgrade")
    if upgraded.returncode != 0:
        fail(f"forum db upgrade failed:\n{upgraded.stderr}")
    print(f"  seeding {threads:,} threads and {posts:,} posts…", file=sys.stderr)
    started = time.perf_counter()
    seeded = forum(env, "seed-demo", "--threads", str(threads), "--posts", str(posts), "--seed", "1")
    seconds = time.perf_counter() - started
    if seeded.returncode != 0:
        fail(f"forum seed-demo failed:\n{seeded.stderr}")
    print(f"  {seeded.stdout.splitlines()[0]}", file=sys.stderr)
    return seconds


def reindex(env: dict) -> float:
    print("  forum search reindex…", file=sys.stderr)
    started = time.perf_counter()
    result = forum(env, "search", "reindex")
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        fail(f"forum search reindex failed:\n{result.stderr}")
    print(f"  {result.stdout.strip()}", file=sys.stderr)
    return seconds


def prepare_sqlite(run: Run, data_dir: Path, args) -> str:
    marker = data_dir / SEED_MARKER
    database = data_dir / "forum.db"
    wanted = {"threads": run.threads, "posts": run.posts, "seed": 1}
    recorded = json.loads(marker.read_text()) if marker.exists() else None
    env = base_env()
    env["FORUM_DATA_DIR"] = str(data_dir)
    if database.exists():
        if recorded is None or {key: recorded.get(key) for key in wanted} != wanted:
            fail(
                f"{data_dir} holds a database this script did not seed with {wanted}; "
                "choose another --data-dir"
            )
        upgraded = forum(env, "db", "upgrade")  # migrations added since it was seeded
        if upgraded.returncode != 0:
            fail(f"forum db upgrade failed:\n{upgraded.stderr}")
        print(f"  reusing the corpus in {data_dir}", file=sys.stderr)
        run.seed_seconds, run.seed_reused = recorded.get("seed_seconds"), True
    else:
        if args.skip_seed:
            fail(f"--skip-seed, but {data_dir} holds no corpus")
        data_dir.mkdir(parents=True, exist_ok=True)
        run.seed_seconds = seed(env, run.threads, run.posts)
        recorded = {**wanted, "seed_seconds": round(run.seed_seconds, 1)}
        marker.write_text(json.dumps(recorded))
    if args.skip_reindex:
        run.reindex_seconds = recorded.get("reindex_seconds")
    else:
        run.reindex_seconds = reindex(env)
        marker.write_text(json.dumps({**recorded, "reindex_seconds": round(run.reindex_seconds, 1)}))
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        try:
            (size,) = connection.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_index%'"
            ).fetchone()
            run.index_bytes, run.index_note = size, "dbstat: search_index and its shadow tables"
        except sqlite3.OperationalError:
            run.index_note = "dbstat not available"
    finally:
        connection.close()
    run.database_bytes = database.stat().st_size
    return f"sqlite:///{database}"


def prepare_postgresql(run: Run, args, data_dir: Path | None) -> str:
    name = f"{PG_PREFIX}{run.posts}"
    url = args.pg_url.rstrip("/") + "/" + name
    env = base_env()
    env["FORUM_DATABASE_URL"] = url
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)  # migrations write the data directory
        env["FORUM_DATA_DIR"] = str(data_dir)
    marker = data_dir / "bench-search-seed-postgresql.json" if data_dir is not None else None
    exists = name in psql_tool("psql", "-tAc", "SELECT datname FROM pg_database").stdout.split()
    if args.skip_seed:
        if not exists:
            fail(f"--skip-seed, but there is no database {name}")
        recorded = json.loads(marker.read_text()) if marker is not None and marker.exists() else {}
        run.seed_seconds, run.seed_reused = recorded.get("seed_seconds"), True
    else:
        if exists:  # a leftover of an earlier run of this script (only its prefix is ever dropped)
            psql_tool("dropdb", name)
        created = psql_tool("createdb", name)
        if created.returncode != 0:
            fail(f"createdb {name} failed: {created.stderr}")
        run.seed_seconds = seed(env, run.threads, run.posts)
        recorded = {"threads": run.threads, "posts": run.posts, "seed": 1, "seed_seconds": run.seed_seconds}
    if args.skip_reindex:
        run.reindex_seconds = recorded.get("reindex_seconds")
    else:
        run.reindex_seconds = reindex(env)
        recorded["reindex_seconds"] = round(run.reindex_seconds, 1)
        vacuumed = psql_tool("psql", "-d", name, "-c", "VACUUM ANALYZE")
        if vacuumed.returncode != 0:
            fail(f"VACUUM ANALYZE failed: {vacuumed.stderr}")
    if marker is not None:
        marker.write_text(json.dumps(recorded))
    sizes = psql_tool(
        "psql",
        "-d",
        name,
        "-tAc",
        "SELECT pg_total_relation_size('search_index'), pg_relation_size('search_index'), "
        "pg_indexes_size('search_index'), pg_database_size(current_database())",
    ).stdout.strip()
    total, heap, indexes, database = (int(value) for value in sizes.split("|"))
    run.index_bytes, run.database_bytes = total, database
    run.index_note = (
        f"pg_total_relation_size: heap {heap / 2**20:.0f} MiB, "
        f"GIN and primary key {indexes / 2**20:.0f} MiB, "
        f"TOAST {(total - heap - indexes) / 2**20:.0f} MiB"
    )
    return url


def base_env() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORUM_")}
    env["FORUM_SECRET_KEY"] = BENCH_KEY
    return env


# --- Measuring -----------------------------------------------------------------------------------

PARTS = ("filters", "window", "facets", "hits", "snippets", "other")


def part_of(statement: str) -> str:
    sql = statement.lower()
    if "snippet(search_index" in sql or "ts_headline(" in sql:
        return "snippets"
    if "end as ok" in sql:
        return "window"
    labels = ("select sector.id, sector.slug", "select jurisdiction.id, jurisdiction.code")
    if sql.lstrip().startswith(labels):
        return "facets"
    if sql.lstrip().startswith("select post.") or "thread_jurisdiction.thread_id, jurisdiction.name" in sql:
        return "hits"
    return "other"


class StatementTimer:
    """Each statement's time: from its start to the next one's start (or the end of the call), so that
    fetching rows and building objects from them count with the statement that produced them."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.marks: list[tuple[float, str]] = []
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn, _cursor, statement, _params, _context, _many):
        self.marks.append((time.perf_counter(), part_of(statement)))

    def parts(self, end: float) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        seen_window = False
        for (start, part), (following, _next) in zip(self.marks, [*self.marks[1:], (end, "")], strict=True):
            seen_window = seen_window or part == "window"
            part = "filters" if part == "other" and not seen_window else part  # lookups before the match
            totals[part] += (following - start) * 1000
        self.marks.clear()
        return dict(totals)


def measure(run: Run, url: str, runs: int) -> None:
    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.config import Settings, use_settings
    from app.db import Database, make_engine
    from app.search import service

    use_settings(Settings(database_url=url, secret_key=BENCH_KEY))
    engine = make_engine(url)
    database = Database(engine)
    with database.session() as session:
        user = session.execute(
            select(User).where(User.role == Role.expert, User.status == "active").order_by(User.id).limit(1)
        ).scalar_one()
        session.expunge(user)
    timer = StatementTimer(engine)
    print(f"  {len(QUERIES)} queries × (1 warm-up + {runs} runs)…", file=sys.stderr)
    try:
        for kind, query, sort in QUERIES:
            result = QueryResult(kind, query, sort)
            parts: dict[str, list[float]] = defaultdict(list)
            for attempt in range(runs + 1):
                timer.marks.clear()
                started = time.perf_counter()
                with database.session() as session:
                    answer = service.search(session, user, query, sort=sort, with_facets=True)
                ended = time.perf_counter()
                split = timer.parts(ended)
                if attempt == 0:
                    result.total = answer.total
                    continue
                result.times_ms.append((ended - started) * 1000)
                for part in PARTS:
                    parts[part].append(split.get(part, 0.0))
            result.parts_ms = {part: statistics.median(values) for part, values in parts.items()}
            run.queries.append(result)
    finally:
        engine.dispose()


# --- Reporting -----------------------------------------------------------------------------------


def all_times(run: Run) -> list[float]:
    return [ms for query in run.queries for ms in query.times_ms]


def mib(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 2**20:,.0f} MiB"


def seconds(value: float | None, reused: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f} s" + (" (earlier run)" if reused else "")


def target_for(run: Run) -> tuple[str, str]:
    target = P95_TARGET_MS.get(run.posts)
    if target is None:
        return "", ""
    p95 = percentile(all_times(run), 0.95)
    if run.engine != "sqlite":
        return f"(p95 < {target:.0f} ms, set for SQLite)", "yes" if p95 < target else "no"
    return f"p95 < {target:.0f} ms", "yes" if p95 < target else "**no**"


def summary_table(runs: list[Run]) -> list[str]:
    lines = [
        "| engine | posts | seed | reindex | index size | queries × runs | p50 ms | p95 ms | p99 ms | max ms "
        "| target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for run in runs:
        times = all_times(run)
        target, met = target_for(run)
        lines.append(
            f"| {'SQLite' if run.engine == 'sqlite' else 'PostgreSQL'} | {run.posts:,} | "
            f"{seconds(run.seed_seconds, run.seed_reused)} | {seconds(run.reindex_seconds)} | "
            f"{mib(run.index_bytes)} | {len(run.queries)} × {run.runs} | {percentile(times, 0.5):.1f} | "
            f"{percentile(times, 0.95):.1f} | {percentile(times, 0.99):.1f} | {max(times):.1f} | "
            f"{target} | {met} |"
        )
    return lines


def detail(run: Run) -> list[str]:
    title = f"{'SQLite' if run.engine == 'sqlite' else 'PostgreSQL'}, {run.posts:,} posts"
    lines = [f"### {title}", ""]
    lines.append(
        f"Index size: {mib(run.index_bytes)} ({run.index_note}); whole database {mib(run.database_bytes)}. "
        f"1-minute load average {run.load:.1f} when the queries started."
    )
    lines += ["", "Median ms per part, summed over the 50 queries (one execution each):", ""]
    totals = {part: sum(query.parts_ms.get(part, 0.0) for query in run.queries) for part in PARTS}
    whole = sum(statistics.median(query.times_ms) for query in run.queries)
    lines.append("| " + " | ".join(PARTS) + " | whole call |")
    lines.append("| " + " | ".join("---:" for _ in PARTS) + " | ---: |")
    lines.append("| " + " | ".join(f"{totals[part]:,.0f}" for part in PARTS) + f" | {whole:,.0f} |")
    lines += [
        "",
        "Slowest queries (median of the runs; hits = total matches):",
        "",
        "| query | sort | hits | median ms | max ms | filters | window | facets | hits+snippets |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    slowest = sorted(run.queries, key=lambda query: statistics.median(query.times_ms), reverse=True)[:5]
    for query in slowest:
        parts = query.parts_ms
        lines.append(
            f"| `{query.query}` | {query.sort} | {query.total:,} | {statistics.median(query.times_ms):.1f} | "
            f"{max(query.times_ms):.1f} | {parts.get('filters', 0):.1f} | {parts.get('window', 0):.1f} | "
            f"{parts.get('facets', 0):.1f} | {parts.get('hits', 0) + parts.get('snippets', 0):.1f} |"
        )
    return lines


def query_mix(runs: list[Run]) -> list[str]:
    by_key = {(run.engine, run.posts): run for run in runs}
    columns = sorted(by_key)
    lines = [
        "| # | kind | query | sort | "
        + " | ".join(f"{'SQLite' if e == 'sqlite' else 'PG'} {p // 1000:,}k hits / ms" for e, p in columns)
        + " |",
        "| ---: | --- | --- | --- | " + " | ".join("---:" for _ in columns) + " |",
    ]
    for number, (kind, query, sort) in enumerate(QUERIES, 1):
        cells = []
        for key in columns:
            found = [q for q in by_key[key].queries if (q.query, q.sort) == (query, sort)]
            cells.append(f"{found[0].total:,} / {statistics.median(found[0].times_ms):.1f}" if found else "—")
        lines.append(f"| {number} | {kind} | `{query}` | {sort} | " + " | ".join(cells) + " |")
    return lines


def section(runs: list[Run], date: str) -> str:
    runs = sorted(runs, key=lambda run: (run.posts, run.engine != "sqlite"))
    lines = [
        f"## Search — {date}",
        "",
        "`.venv/bin/python bench/search.py --engine both --posts 200000,1000000 --data-dir "
        "'var/bench-search-{posts}'` (corpus: `forum seed-demo --threads P/10 --posts P --seed 1`; "
        "index build: `forum search reindex`; latency: `app.search.service.search(session, expert, q, "
        "with_facets=True)` in a fresh read session, as the search page calls it, for 50 fixed queries, "
        f"each after one warm-up run; p50/p95/p99 over every execution). Machine: {os.cpu_count()} cores "
        f"({platform.machine()}), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{postgres_version()}; other work was running on the machine (load average below).",
        "",
        *summary_table(runs),
        "",
        "Seed time includes indexing each batch of posts as it is inserted. Reindex is the whole "
        "`forum search reindex` command (delete everything, index every post again; on PostgreSQL "
        "followed by VACUUM ANALYZE, not counted). Targets from the issue apply to SQLite.",
    ]
    for run in runs:
        lines += ["", *detail(run)]
    lines += ["", "### Query mix", "", *query_mix(runs)]
    return "\n".join(lines) + "\n"


def postgres_version() -> str:
    result = psql_tool("psql", "-tAc", "SHOW server_version")
    return f"PostgreSQL {result.stdout.strip().split()[0]}" if result.returncode == 0 else "PostgreSQL n/a"


def write_results(text_of_section: str) -> None:
    """Append the section, or replace the one with the same heading, keeping its "### Findings"."""
    heading = text_of_section.split("\n", 1)[0]
    text = RESULTS.read_text()
    start = text.find(heading + "\n")
    if start < 0:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + text_of_section)
        return
    end = text.find("\n## ", start + len(heading))
    old = text[start : end + 1 if end >= 0 else len(text)]
    findings = old.find("\n### Findings")
    if findings >= 0:
        text_of_section += old[findings:].rstrip("\n") + "\n"
    RESULTS.write_text(text[:start] + text_of_section + ("\n" + text[end + 1 :] if end >= 0 else ""))


def load_cache(date: str) -> dict[str, Run]:
    if not CACHE.exists():
        return {}
    runs = {}
    for key, raw in json.loads(CACHE.read_text()).items():
        if raw["date"] != date:
            continue
        raw["queries"] = [QueryResult(**query) for query in raw["queries"]]
        runs[key] = Run(**raw)
    # Only results of the current query mix.
    mix = [(kind, query, sort) for kind, query, sort in QUERIES]
    return {k: r for k, r in runs.items() if [(q.kind, q.query, q.sort) for q in r.queries] == mix}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--posts", default="200000,1000000", help="corpus sizes, comma-separated")
    parser.add_argument(
        "--data-dir", help="SQLite data directory to keep or reuse; {posts} is replaced by the size"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each query after one warm-up")
    parser.add_argument("--skip-seed", action="store_true", help="reuse an existing corpus, never seed")
    parser.add_argument("--skip-reindex", action="store_true", help="do not rebuild the index")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="PostgreSQL server, without a database name")
    parser.add_argument("--keep-databases", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument(
        "--report-only", action="store_true", help="measure nothing: write today's cached results"
    )
    args = parser.parse_args()
    sizes = [int(value.replace("_", "")) for value in args.posts.split(",") if value.strip()]
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    date = datetime.date.today().isoformat()
    cache = load_cache(date)
    done: list[Run] = []
    for posts in [] if args.report_only else sizes:
        data_dir = None
        if args.data_dir:
            template = args.data_dir
            if "{posts}" not in template and len(sizes) > 1:
                template = str(Path(template) / "{posts}")
            data_dir = (ROOT / template.format(posts=posts)).resolve()
        for engine in engines:
            print(f"{engine}, {posts:,} posts:", file=sys.stderr)
            run = Run(engine=engine, posts=posts, threads=posts // 10, date=date, runs=args.runs)
            temporary = None
            try:
                if engine == "sqlite":
                    if data_dir is None:
                        temporary = ROOT / "var" / f"bench-search-tmp-{os.getpid()}"
                    url = prepare_sqlite(run, data_dir or temporary, args)
                else:
                    url = prepare_postgresql(run, args, data_dir)
                run.load = os.getloadavg()[0]
                measure(run, url, args.runs)
            finally:
                if temporary is not None:
                    shutil.rmtree(temporary, ignore_errors=True)
                if engine == "postgresql" and not (args.keep_databases or args.skip_seed):
                    psql_tool("dropdb", "--if-exists", f"{PG_PREFIX}{posts}")
            done.append(run)
            cache[f"{engine}-{posts}"] = run
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_text(json.dumps({key: asdict(value) for key, value in cache.items()}, indent=1))
            times = all_times(run)
            print(
                f"  p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
                f"p99 {percentile(times, 0.99):.1f} ms",
                file=sys.stderr,
            )
    if not cache:
        fail(f"no results of {date} in {CACHE.relative_to(ROOT)}")
    text = section(list(cache.values()), date)
    print(text)
    if not args.no_results:
        write_results(text)
        print(f"Written to {RESULTS.relative_to(ROOT)}.", file=sys.stderr)


if __name__ == "__main__":
    main()
