"""Keeping the full-text index in step with the posts, in the same transaction as each write.

One row per post, keyed by the post id: the opening post carries the thread's title and tags; every
post carries its text (the Markdown rendered to plain text, so snippets show no Markdown syntax) and
the text of its attachments. Beside its own words, a post carries its thread's context in two parts:
`context`, for a reply the thread's title and tags, as written and stemmed in every language (a
reply under "Mercancías falsificadas" is found by `falsificados`), and `taxonomy`, for every post the
sector's name, the jurisdictions' names and codes and the instruments' names. Both are weighted far
below the post's own words, so a reply that says "the consignment" is found by its thread's
"falsified insulin", after the posts that say it themselves. An excluded word (`-toys`) looks at a
post's own text and its thread's title and tags, never at the taxonomy's names (a sector called
"…, toys, cosmetics" must not exclude the whole sector). Deleted posts leave the index.

Each row also carries `meta`: tokens for what the filters ask about (sector, jurisdictions,
instruments, tags, lock state, author, attachment kinds), so that `court jurisdiction:FR` is one
intersection inside the full-text index instead of a set of posts built before the match. The
writes that change these (edit, move, lock, merge, split, tag rename, attachments) reindex the
posts concerned; the filters are also checked against the live tables on every hit, so a stale
token could only hide a hit, never show a wrong one.

On SQLite the newest posts are indexed twice: in `search_index` and in `search_index_recent`, an
index of the same shape that holds every post from a floor id on (`search_index_floor`), some
FORUM_SEARCH_RECENT (50,000) posts. FTS5's bm25 reads the whole list of rows of every phrase of a
query to weigh it, whatever the window: for a word in most posts that is most of the cost of a
search, and in the small index it is a fraction of it. A search whose window of newest matches
fills up there is answered there (the newest matches are the same); any other, from the full index.
The floor moves up by a step (a fiftieth of the size) at a time, so the pruning of the oldest rows is
rare and short."""

from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from app.attachments.models import DOCUMENT_KIND_LABELS
from app.config import get_settings
from app.sanitize import render_plain
from app.search.language import all_stems, detect, fold_arabic, stems, unaccent

BATCH = 2_000
RECENT = "search_index_recent"
# The floor moves up by a fiftieth of FORUM_SEARCH_RECENT at a time (1,000 posts of 50,000).
RECENT_STEPS = 50
TEXT_FIELDS = ("title", "body", "tags", "attachments", "context", "taxonomy")

# Attachment kinds as numbers ("case_law" would be split in two by the tokenizers): a kind's
# number is its position among the labels, so new kinds go at the end (or reindex).
KINDS = tuple(DOCUMENT_KIND_LABELS)


def meta_token(kind: str, value: int | str) -> str:
    """One filter value as an index token: a letter for the filter, then a number, prefixed by z
    (letters and digits only, so both engines' tokenizers keep it whole)."""
    if kind == "kind":
        return f"zk{KINDS.index(value) if value in KINDS else len(KINDS)}"
    if kind == "status":
        return "zlocked" if value == "locked" else "zopen"
    if kind == "attachment":
        return "zhasatt"
    return f"z{kind}{int(value)}"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For alembic: the index is engine-specific DDL outside the models (FTS5 adds shadow tables)."""
    return not (type_ == "table" and name and name.startswith("search_index"))


def _by_ids(sql: str):
    """A statement taking a list of ids as :ids, parsed once (a reply runs several of them)."""
    return text(sql).bindparams(bindparam("ids", expanding=True))


_POSTS = _by_ids(
    "SELECT p.id, p.thread_id, p.parent_id, p.body, p.language, p.author_id, t.title, t.sector_id, "
    "t.locked, s.name AS sector_name FROM post p JOIN thread t ON t.id = p.thread_id "
    "JOIN sector s ON s.id = t.sector_id WHERE p.id IN :ids AND p.state <> 'deleted'"
)
_TAGS = _by_ids(
    "SELECT tt.thread_id, tg.id, tg.name FROM thread_tag tt JOIN tag tg ON tg.id = tt.tag_id "
    "WHERE tt.thread_id IN :ids"
)
# A thread's jurisdictions and instruments: the meta token kind, and their ids and names.
_LINKS = tuple(
    (
        kind,
        _by_ids(
            f"SELECT l.thread_id, l.{key}, {words} FROM {table} l "  # noqa: S608
            f"JOIN {entries} e ON e.id = l.{key} WHERE l.thread_id IN :ids"
        ),
    )
    for table, entries, key, words, kind in (
        ("thread_jurisdiction", "jurisdiction", "jurisdiction_id", "e.name || ' ' || e.code", "j"),
        ("thread_instrument", "instrument", "instrument_id", "e.name || ' ' || e.short_name", "i"),
    )
)
_ATTACHMENTS = _by_ids("SELECT post_id, filename, text, kind FROM attachment WHERE post_id IN :ids")


def _documents(connection: Connection, post_ids: list[int]) -> list[dict]:
    if not post_ids:
        return []
    posts = connection.execute(_POSTS, {"ids": post_ids}).all()
    if not posts:
        return []
    threads = sorted({row.thread_id for row in posts})
    tags: dict[int, list[str]] = {}
    meta: dict[int, list[str]] = {}
    for thread_id, tag_id, name in connection.execute(_TAGS, {"ids": threads}):
        tags.setdefault(thread_id, []).append(name)
        meta.setdefault(thread_id, []).append(meta_token("g", tag_id))
    names: dict[int, list[str]] = {}
    for kind, statement in _LINKS:
        for thread_id, value, entry_names in connection.execute(statement, {"ids": threads}):
            meta.setdefault(thread_id, []).append(meta_token(kind, value))
            names.setdefault(thread_id, []).append(entry_names)
    attachments: dict[int, list[str]] = {}
    kinds: dict[int, set[str]] = {}
    for post_id, filename, body, kind in connection.execute(_ATTACHMENTS, {"ids": [row.id for row in posts]}):
        attachments.setdefault(post_id, []).append(f"{filename}\n{body}")
        kinds.setdefault(post_id, set()).update([meta_token("attachment", 1), meta_token("kind", kind)])

    def meta_of(row) -> str:
        tokens = [meta_token("s", row.sector_id), meta_token("status", "locked" if row.locked else "open")]
        if row.author_id is not None:
            tokens.append(meta_token("a", row.author_id))
        return " ".join(tokens + meta.get(row.thread_id, []) + sorted(kinds.get(row.id, ())))

    def context_of(row) -> str:
        # The opening post has the title and tags in columns of their own, weighted above its body.
        if row.parent_id is not None:
            return f"{row.title}\n{' '.join(tags.get(row.thread_id, []))}"
        return ""

    def taxonomy_of(row) -> str:
        return "\n".join([row.sector_name, *names.get(row.thread_id, [])])

    documents = []
    for row in posts:
        title = row.title if row.parent_id is None else ""
        own_tags = " ".join(tags.get(row.thread_id, [])) if row.parent_id is None else ""
        body = render_plain(row.body)
        language = row.language or detect(body)
        documents.append(
            {
                "post_id": row.id,
                "title": title,
                "body": body,
                "tags": own_tags,
                "attachments": "\n".join(attachments.get(row.id, [])),
                "meta": meta_of(row),
                "context": context_of(row),
                "context_stems": all_stems(context_of(row)),
                "taxonomy": taxonomy_of(row),
                # The post's own words stemmed in its own language (language.py).
                "stems": stems(f"{title}\n{own_tags}\n{body}", language),
            }
        )
    return documents


# By engine (SQLite?): a post leaves the full index (and on SQLite the recent one).
_REMOVES = {
    True: (
        _by_ids("DELETE FROM search_index WHERE rowid IN :ids"),
        _by_ids(f"DELETE FROM {RECENT} WHERE rowid IN :ids"),  # noqa: S608
    ),
    False: (_by_ids("DELETE FROM search_index WHERE post_id IN :ids"),),
}


def remove_posts(connection: Connection, post_ids: Iterable[int]) -> None:
    ids = list(post_ids)
    if not ids:
        return
    for statement in _REMOVES[connection.dialect.name == "sqlite"]:
        connection.execute(statement, {"ids": ids})


def recent_floor(connection: Connection) -> int | None:
    """SQLite: the id from which every indexed post is also in the recent index; None when it is
    not kept (FORUM_SEARCH_RECENT=0; turned on again, it is trusted after `forum search reindex`)."""
    if connection.dialect.name != "sqlite" or not get_settings().search_recent:
        return None
    return connection.execute(_FLOOR).scalar()


def _keep_recent(connection: Connection, rows: list[dict]) -> None:
    """The rows from the floor on go in the recent index too; once the newest id is more than
    FORUM_SEARCH_RECENT and a step past the floor, the floor moves up and the older rows go."""
    keep = get_settings().search_recent
    floor = connection.execute(_FLOOR).scalar()
    if not keep:
        if floor is not None:  # no longer kept: emptied once, never trusted until a reindex
            connection.execute(text(f"DELETE FROM {RECENT}"))  # noqa: S608
            _set_floor(connection, None)
        return
    if floor is None:
        return
    recent = [row for row in rows if row["post_id"] >= floor]
    if recent:
        connection.execute(_INSERTS[RECENT], recent)
    newest = max(row["post_id"] for row in rows)
    if newest - floor + 1 > keep + (keep // RECENT_STEPS or 1):
        floor = newest - keep + 1
        connection.execute(text(f"DELETE FROM {RECENT} WHERE rowid < :floor"), {"floor": floor})  # noqa: S608
        _set_floor(connection, floor)


_FLOOR = text("SELECT floor FROM search_index_floor WHERE id = 1")


def _set_floor(connection: Connection, floor: int | None) -> None:
    connection.execute(text("UPDATE search_index_floor SET floor = :floor WHERE id = 1"), {"floor": floor})


_INSERTS = {
    table: text(
        f"INSERT INTO {table} (rowid, title, body, tags, attachments, meta, context, taxonomy, stems) "  # noqa: S608
        "VALUES (:post_id, :title, :body, :tags, :attachments, :meta, :context, :taxonomy, :stems)"
    )
    for table in ("search_index", RECENT)
}


def _write(connection: Connection, documents: list[dict], recent: bool = True) -> None:
    if not documents:
        return
    if connection.dialect.name == "sqlite":
        rows = [
            {
                **doc,
                **{k: fold_arabic(doc[k]) for k in TEXT_FIELDS},
                "context": fold_arabic(doc["context"]) + "\n" + doc["context_stems"],
            }
            for doc in documents
        ]
        connection.execute(_INSERTS["search_index"], rows)
        if recent:
            _keep_recent(connection, rows)
        return
    # Accents and Arabic forms are folded here, in Python, the same way for documents and queries.
    rows = [
        {
            **doc,
            **{f"{k}_f": unaccent(doc[k]) for k in TEXT_FIELDS},
        }
        for doc in documents
    ]
    connection.execute(
        text(
            "INSERT INTO search_index (post_id, title, body, tags, attachments, context, taxonomy, stems, "
            "title_tsv, attachments_tsv, meta_tsv, document_tsv) "
            "VALUES (:post_id, :title_f, :body_f, :tags_f, :attachments_f, :context_f, :taxonomy_f, :stems, "
            "to_tsvector('english', :title_f), to_tsvector('english', :attachments_f), "
            "to_tsvector('simple', :meta), "
            "setweight(to_tsvector('english', :title_f), 'A') || "
            "setweight(to_tsvector('english', :tags_f), 'A') || "
            "setweight(to_tsvector('english', :body_f), 'B') || "
            "setweight(to_tsvector('english', :attachments_f), 'C') || "
            "setweight(to_tsvector('simple', :stems), 'B') || "
            "setweight(to_tsvector('english', :context_f), 'C') || "
            "setweight(to_tsvector('simple', :context_stems), 'C') || "
            "setweight(to_tsvector('english', :taxonomy_f), 'D'))"
        ),
        rows,
    )


def update_posts(connection: Connection, post_ids: Iterable[int]) -> None:
    """(Re)index these posts as they now are; deleted ones leave the index."""
    ids = sorted(set(post_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        remove_posts(connection, chunk)
        _write(connection, _documents(connection, chunk))


def update_threads(connection: Connection, thread_ids: Iterable[int]) -> None:
    """After a title, tag, merge or split change: every post of these threads."""
    ids = sorted(set(thread_ids))
    if not ids:
        return
    post_ids = (
        connection.execute(
            text("SELECT id FROM post WHERE thread_id IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        )
        .scalars()
        .all()
    )
    update_posts(connection, post_ids)


def rebuild(connection: Connection, recent: bool = True) -> int:
    """Empty the index and index every post again, in batches (on SQLite the newest posts in the
    recent index as well; recent=False for the migrations older than it)."""
    recent = recent and connection.dialect.name == "sqlite"
    connection.execute(text("DELETE FROM search_index"))
    if recent:
        connection.execute(text(f"DELETE FROM {RECENT}"))  # noqa: S608
        keep = get_settings().search_recent
        newest = connection.execute(text("SELECT max(id) FROM post")).scalar() or 0
        _set_floor(connection, max(1, newest - keep + 1) if keep else None)
    last, total = 0, 0
    while True:
        ids = (
            connection.execute(
                text("SELECT id FROM post WHERE id > :last AND state <> 'deleted' ORDER BY id LIMIT :n"),
                {"last": last, "n": BATCH},
            )
            .scalars()
            .all()
        )
        if not ids:
            break
        _write(connection, _documents(connection, list(ids)), recent)
        total += len(ids)
        last = ids[-1]
    if connection.dialect.name == "sqlite":
        connection.execute(text("INSERT INTO search_index (search_index) VALUES ('optimize')"))
    if recent:
        connection.execute(text(f"INSERT INTO {RECENT} ({RECENT}) VALUES ('optimize')"))  # noqa: S608
    return total


def reindex_posts(session, post_ids: Iterable[int]) -> None:
    """From a service: flush pending changes, then reindex in the same transaction."""
    session.flush()
    update_posts(session.connection(), post_ids)


# The threads whose context names a taxonomy entry, by the entry's kind.
_THREADS_OF_ENTRY = {
    "sector": "SELECT id FROM thread WHERE sector_id = :id",
    "jurisdiction": "SELECT thread_id FROM thread_jurisdiction WHERE jurisdiction_id = :id",
    "instrument": "SELECT thread_id FROM thread_instrument WHERE instrument_id = :id",
}


def reindex_entry(session, kind: str, entry_id: int) -> None:
    """After a sector, jurisdiction or instrument is renamed: the posts of its threads."""
    if kind not in _THREADS_OF_ENTRY:
        return
    session.flush()
    connection = session.connection()
    update_threads(connection, connection.execute(text(_THREADS_OF_ENTRY[kind]), {"id": entry_id}).scalars())


def reindex_threads(session, thread_ids: Iterable[int]) -> None:
    session.flush()
    update_threads(session.connection(), thread_ids)


def unindex_posts(session, post_ids: Iterable[int]) -> None:
    session.flush()
    remove_posts(session.connection(), post_ids)
