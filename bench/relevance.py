"""Search relevance: a judged test set loaded into a fresh forum, measured per engine.

    .venv/bin/python bench/relevance.py                        # SQLite and PostgreSQL
    .venv/bin/python bench/relevance.py --engines sqlite --verbose
    .venv/bin/python bench/relevance.py --corpus other/corpus.jsonl --queries other/queries.jsonl

For each engine a migrated forum is started (tests/live.py), the corpus is written through the HTTP
API as the admin (threads, replies with their parents, then the edits, then the hidden replies), and
every query is sent to GET /api/v1/search; the first 20 hits are mapped back to corpus keys. The
baseline row is a bare in-memory SQLite FTS5 table (porter unicode61 remove_diacritics 2), one row per
visible post, queried with the query's plain words (filters dropped, phrases kept, -words as NOT),
ranked by bm25. Metrics: nDCG@10 (gain 2^g - 1), recall@20, P@5 (grade >= 1), must-not hits (must_not
keys in the top 20, summed over the queries). PostgreSQL gets a throw-away database, dropped at the end.
"""

import argparse
import json
import math
import re
import sqlite3
import sys
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import OPENER, live_server  # noqa: E402

HERE = Path(__file__).resolve().parent / "relevance"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
TOKEN = re.compile(r'(-?)(?:"([^"]*)"|(\S+))')
WORD = re.compile(r"[^\W_]+", re.UNICODE)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Api:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with OPENER.open(request, timeout=60) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode()[:300]}") from None


def load_corpus(api: Api, corpus: list[dict]) -> dict[int, str]:
    """Writes the corpus; returns post id -> key."""
    ids: dict[str, int] = {}
    for t in corpus:
        fields = {k: t.get(k, []) for k in ("jurisdictions", "instruments", "tags")}
        thread = api.call(
            "POST", "/threads", {"title": t["title"], "body": t["body"], "sector": t["sector"], **fields}
        )
        ids[t["key"]] = api.call("GET", f"/threads/{thread['id']}")["posts"][0]["id"]
        for r in t.get("replies", []):
            parent = ids[r["parent"]] if r.get("parent") else None
            ids[r["key"]] = api.call(
                "POST", f"/threads/{thread['id']}/posts", {"body": r["body"], "parent_id": parent}
            )["id"]
    for t in corpus:
        for e in t.get("edits", []):
            api.call("PATCH", f"/posts/{ids[e['key']]}", {"body": e["body"], "base_revision": 1})
        for key in t.get("hidden", []):
            api.call("POST", f"/posts/{ids[key]}/hide", {"reason": "relevance bench: hidden by a moderator"})
    return {post_id: key for key, post_id in ids.items()}


def search_api(api: Api, keys: dict[int, str], q: str) -> list[str]:
    result, cursor = [], None
    while len(result) < 20:
        params = {"q": q} | ({"cursor": cursor} if cursor else {})
        page = api.call("GET", "/search?" + urllib.parse.urlencode(params))
        result += [keys.get(item["post_id"], f"?{item['post_id']}") for item in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return result[:20]


# --- baseline: bare FTS5 ---------------------------------------------------------------------------


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def fts_expression(q: str) -> str | None:
    """The query's plain words as FTS5: filters dropped, phrases kept, OR kept, -items as NOT."""
    positive, negative = [], []
    for minus, phrase, bare in TOKEN.findall(q):
        if bare == "OR" and not minus:
            positive.append("OR")
            continue
        if bare and re.match(r"^[a-z]+:", bare):
            continue  # a filter (sector:, tag:, author: ...)
        words = WORD.findall(fold(phrase if phrase else bare))
        if not words:
            continue
        item = '"' + " ".join(words) + '"' if phrase else " ".join(f'"{w}"' for w in words)
        (negative if minus else positive).append(item)
    while positive and positive[0] == "OR":
        positive.pop(0)
    while positive and positive[-1] == "OR":
        positive.pop()
    if not positive:
        return None
    expression = "(" + " ".join(positive) + ")"
    return expression + "".join(f" NOT {n}" for n in negative)


def baseline(corpus: list[dict], queries: list[dict]) -> dict[str, list[str]]:
    db = sqlite3.connect(":memory:")
    tokenize = "porter unicode61 remove_diacritics 2"
    db.execute(f"CREATE VIRTUAL TABLE post USING fts5(key UNINDEXED, text, tokenize='{tokenize}')")
    for t in corpus:
        hidden, edits = set(t.get("hidden", [])), {e["key"]: e["body"] for e in t.get("edits", [])}
        db.execute("INSERT INTO post VALUES (?, ?)", (t["key"], t["title"] + "\n\n" + t["body"]))
        for r in t.get("replies", []):
            if r["key"] not in hidden:
                db.execute("INSERT INTO post VALUES (?, ?)", (r["key"], edits.get(r["key"], r["body"])))
    results = {}
    for query in queries:
        expression = fts_expression(query["q"])
        sql = "SELECT key FROM post WHERE post MATCH ? ORDER BY bm25(post) LIMIT 20"
        results[query["id"]] = [row[0] for row in db.execute(sql, (expression,))] if expression else []
    return results


# --- metrics ----------------------------------------------------------------------------------------


def score(query: dict, ranked: list[str]) -> dict[str, float]:
    grades = query["relevant"]
    dcg = sum((2 ** grades.get(k, 0) - 1) / math.log2(i + 2) for i, k in enumerate(ranked[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = {k for k, g in grades.items() if g >= 1}
    return {
        "ndcg": dcg / idcg if idcg else 0.0,
        "recall": len(relevant & set(ranked[:20])) / len(relevant) if relevant else 0.0,
        "p5": len(relevant & set(ranked[:5])) / 5,
        "must_not": len(set(query.get("must_not", [])) & set(ranked[:20])),
    }


def report(
    name: str, queries: list[dict], results: dict[str, list[str] | str], verbose: bool, misses: bool = False
) -> str:
    rows, errors = [], 0
    for query in queries:
        ranked = results[query["id"]]
        if isinstance(ranked, str):  # an error message
            errors += 1
            ranked = []
            if verbose:
                print(f"  {name:10} {query['id']} ERROR {results[query['id']]}")
        s = score(query, ranked)
        rows.append(s)
        if verbose and not isinstance(results[query["id"]], str):
            bad = sorted(set(query.get("must_not", [])) & set(ranked))
            print(
                f"  {name:10} {query['id']} nDCG {s['ndcg']:.2f} R {s['recall']:.2f} P5 {s['p5']:.2f}"
                f" must-not {s['must_not']}{' ' + ','.join(bad) if bad else ''}  {query['q']}"
                f"  → {' '.join(ranked[:5])}"
            )
            if misses:
                grades = query["relevant"]
                missed = [
                    f"{k}({g})@{ranked.index(k) + 1 if k in ranked else '-'}"
                    for k, g in grades.items()
                    if k not in ranked[:10]
                ]
                strays = [f"{k}@{i + 1}" for i, k in enumerate(ranked[:10]) if k not in grades]
                if missed or strays:
                    unjudged = " ".join(strays) or "-"
                    print(f"{'':15} missed {' '.join(missed) or '-'}; unjudged in top 10 {unjudged}")
    n = len(rows) or 1
    mean = {m: sum(r[m] for r in rows) / n for m in ("ndcg", "recall", "p5")}
    hits = sum(r["must_not"] for r in rows)
    counted = f"{len(rows)}" + (f" ({errors} failed)" if errors else "")
    return f"| {name} | {mean['ndcg']:.4f} | {mean['recall']:.4f} | {mean['p5']:.3f} | {hits} | {counted} |"


def run_engine(engine: str, corpus: list[dict], queries: list[dict], pg_base: str) -> dict | None:
    env, database, admin = {}, None, None
    if engine == "postgresql":
        try:
            import psycopg

            plain = pg_base.replace("postgresql+psycopg://", "postgresql://")
            admin = psycopg.connect(plain + "postgres", autocommit=True, connect_timeout=5)
        except Exception as error:  # noqa: BLE001 - any failure to connect means: skip
            print(f"PostgreSQL skipped: unreachable at {pg_base} ({error})", file=sys.stderr)
            return None
        database = f"forum_relevance_{uuid.uuid4().hex[:8]}"
        admin.execute(f'CREATE DATABASE "{database}"')
        env["FORUM_DATABASE_URL"] = pg_base + database
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"relevance-{engine}-") as tmp,
            live_server(Path(tmp), env=env) as server,
        ):
            api = Api(server.url, server.admin_token())
            keys = load_corpus(api, corpus)
            results: dict[str, list[str] | str] = {}
            for query in queries:
                try:
                    results[query["id"]] = search_api(api, keys, query["q"])
                except RuntimeError as error:
                    results[query["id"]] = str(error)
            return results
    finally:
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=HERE / "queries.jsonl")
    parser.add_argument("--pg-url", default=PG_BASE, help="PostgreSQL URL without the database name")
    parser.add_argument("--verbose", action="store_true", help="one line per query and engine")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="with --verbose: relevant posts below rank 10, unjudged ones in it",
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    corpus, queries = read_jsonl(args.corpus), read_jsonl(args.queries)
    posts = sum(1 + len(t.get("replies", [])) for t in corpus)
    print(f"corpus: {len(corpus)} threads, {posts} posts; {len(queries)} queries", file=sys.stderr)
    lines = []
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        if engine not in ("sqlite", "postgresql"):
            parser.error(f"unknown engine {engine!r}")
        results = run_engine(engine, corpus, queries, args.pg_url)
        if results is not None:
            lines.append(report(engine, queries, results, args.verbose, args.misses))
    if not args.no_baseline:
        lines.append(report("baseline", queries, baseline(corpus, queries), args.verbose))
    print("\n| engine | nDCG@10 | recall@20 | P@5 | must-not hits | queries |")
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
