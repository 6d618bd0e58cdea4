"""Search latency under several settings in one run: the 50 queries of bench/search.py, each run under
every setting in turn (A, B, A, B, …), so that a noisy machine slows them alike and the ratio holds.

    .venv/bin/python bench/search_settings.py --data-dir var/bench-search-200000 \\
        --setting "search_recent=0 search_window=2000" --setting "search_window=1000"

Each --setting is a set of Settings fields (those of app/config.py, FORUM_SEARCH_* without the
prefix); the first is the reference. The corpus is one bench/search.py seeded (SQLite, migrated to
the current code). Prints a Markdown table: p50/p95/p99 per setting over every execution, and the
ratio of each to the first; with --results, appends it to bench/RESULTS.md under the given heading.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import BENCH_KEY, QUERIES, percentile  # noqa: E402


def parse_setting(text: str) -> dict:
    values = {}
    for part in text.split():
        key, _, value = part.partition("=")
        values[key] = int(value) if value.isdigit() else value
    return values


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--setting", action="append", required=True, help='e.g. "search_window=1000"')
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", help="append the table to bench/RESULTS.md under this heading")
    args = parser.parse_args()

    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.config import Settings, get_settings, use_settings
    from app.db import Database, make_engine
    from app.search import service

    url = f"sqlite:///{args.data_dir / 'forum.db'}"
    use_settings(Settings(database_url=url, secret_key=BENCH_KEY))
    settings = get_settings()
    setups = [parse_setting(text) for text in args.setting]
    defaults = {key: getattr(settings, key) for setup in setups for key in setup}
    database = Database(make_engine(url))
    with database.session() as session:
        user = session.execute(
            select(User).where(User.role == Role.expert, User.status == "active").order_by(User.id).limit(1)
        ).scalar_one()
        session.expunge(user)
    times: list[list[float]] = [[] for _ in setups]
    per_query: list[list[list[float]]] = [[[] for _ in QUERIES] for _ in setups]
    load = os.getloadavg()[0]
    for number, (_kind, query, sort) in enumerate(QUERIES):
        for attempt in range(args.runs + 1):
            for index, setup in enumerate(setups):
                for key, value in {**defaults, **setup}.items():
                    setattr(settings, key, value)
                started = time.perf_counter()
                with database.session() as session:
                    service.search(session, user, query, sort=sort, with_facets=True)
                elapsed = (time.perf_counter() - started) * 1000
                if attempt:  # the first is a warm-up
                    times[index].append(elapsed)
                    per_query[index][number].append(elapsed)
    database.engine.dispose()

    posts = args.data_dir.name.rpartition("-")[2]
    lines = [
        f"`.venv/bin/python bench/search_settings.py --data-dir {args.data_dir} "
        + " ".join(f'--setting "{text}"' for text in args.setting)
        + f"` ({len(QUERIES)} queries × {args.runs} runs per setting, interleaved; corpus {posts} posts; "
        f"1-minute load average {load:.1f} at the start).",
        "",
        "| setting | p50 ms | p95 ms | p99 ms | max ms | p95 / first | slowest query (median ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    reference = percentile(times[0], 0.95)
    for index, text in enumerate(args.setting):
        values = times[index]
        medians = [statistics.median(q) for q in per_query[index]]
        slowest = max(range(len(QUERIES)), key=lambda n: medians[n])
        p95 = percentile(values, 0.95)
        lines.append(
            f"| `{text}` | {percentile(values, 0.5):.1f} | {p95:.1f} | {percentile(values, 0.99):.1f} | "
            f"{max(values):.1f} | {p95 / reference:.2f} | `{QUERIES[slowest][1]}` ({medians[slowest]:.1f}) |"
        )
    table = "\n".join(lines)
    print(table)
    if args.results:
        results = ROOT / "bench" / "RESULTS.md"
        heading = f"## {args.results} — {datetime.date.today().isoformat()}"
        results.write_text(results.read_text().rstrip() + f"\n\n{heading}\n\n{table}\n")


if __name__ == "__main__":
    main()
