"""Keeping the full-text index in step with the posts, in the same transaction as each write.

One row per post, keyed by the post id: the opening post carries the thread's title and tags; every
post carries its Markdown source and the text of its attachments. Deleted posts leave the index.

Each row also carries `meta`: tokens for what the filters ask about (sector, jurisdictions,
instruments, tags, lock state, author, attachment kinds), so that `court jurisdiction:FR` is one
intersection inside the full-text index instead of a set of posts built before the match. The
writes that change these (edit, move, lock, merge, split, tag rename, attachments) reindex the
posts concerned; the filters are also checked against the live tables on every hit, so a stale
token could only hide a hit, never show a wrong one."""

import unicodedata
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from app.attachments.models import DOCUMENT_KIND_LABELS

BATCH = 2_000

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


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value or "")
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _documents(connection: Connection, post_ids: list[int]) -> list[dict]:
    if not post_ids:
        return []
    posts = connection.execute(
        text(
            "SELECT p.id, p.thread_id, p.parent_id, p.body, p.author_id, t.title, t.sector_id, t.locked "
            "FROM post p "
            "JOIN thread t ON t.id = p.thread_id WHERE p.id IN :ids AND p.state <> 'deleted'"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": post_ids},
    ).all()
    if not posts:
        return []
    threads = sorted({row.thread_id for row in posts})
    tags: dict[int, list[str]] = {}
    meta: dict[int, list[str]] = {}
    for thread_id, tag_id, name in connection.execute(
        text(
            "SELECT tt.thread_id, tg.id, tg.name FROM thread_tag tt JOIN tag tg ON tg.id = tt.tag_id "
            "WHERE tt.thread_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": threads},
    ):
        tags.setdefault(thread_id, []).append(name)
        meta.setdefault(thread_id, []).append(meta_token("g", tag_id))
    links = (("thread_jurisdiction", "jurisdiction_id", "j"), ("thread_instrument", "instrument_id", "i"))
    for table, key, kind in links:
        for thread_id, value in connection.execute(
            text(f"SELECT thread_id, {key} FROM {table} WHERE thread_id IN :ids").bindparams(  # noqa: S608
                bindparam("ids", expanding=True)
            ),
            {"ids": threads},
        ):
            meta.setdefault(thread_id, []).append(meta_token(kind, value))
    attachments: dict[int, list[str]] = {}
    kinds: dict[int, set[str]] = {}
    for post_id, filename, body, kind in connection.execute(
        text("SELECT post_id, filename, text, kind FROM attachment WHERE post_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": [row.id for row in posts]},
    ):
        attachments.setdefault(post_id, []).append(f"{filename}\n{body}")
        kinds.setdefault(post_id, set()).update([meta_token("attachment", 1), meta_token("kind", kind)])

    def meta_of(row) -> str:
        tokens = [meta_token("s", row.sector_id), meta_token("status", "locked" if row.locked else "open")]
        if row.author_id is not None:
            tokens.append(meta_token("a", row.author_id))
        return " ".join(tokens + meta.get(row.thread_id, []) + sorted(kinds.get(row.id, ())))

    return [
        {
            "post_id": row.id,
            "title": row.title if row.parent_id is None else "",
            "body": row.body,
            "tags": " ".join(tags.get(row.thread_id, [])) if row.parent_id is None else "",
            "attachments": "\n".join(attachments.get(row.id, [])),
            "meta": meta_of(row),
        }
        for row in posts
    ]


def remove_posts(connection: Connection, post_ids: Iterable[int]) -> None:
    ids = list(post_ids)
    if not ids:
        return
    key = "rowid" if connection.dialect.name == "sqlite" else "post_id"
    connection.execute(
        text(f"DELETE FROM search_index WHERE {key} IN :ids").bindparams(  # noqa: S608
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )


def _write(connection: Connection, documents: list[dict]) -> None:
    if not documents:
        return
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                "INSERT INTO search_index (rowid, title, body, tags, attachments, meta) "
                "VALUES (:post_id, :title, :body, :tags, :attachments, :meta)"
            ),
            documents,
        )
        return
    # Accents are folded here, in Python, the same way for documents and queries: no extension
    # (unaccent) to install, and the same answers as the SQLite index.
    rows = [
        {**doc, **{f"{k}_f": strip_accents(doc[k]) for k in ("title", "body", "tags", "attachments")}}
        for doc in documents
    ]
    connection.execute(
        text(
            "INSERT INTO search_index (post_id, title, body, tags, attachments, title_tsv, attachments_tsv, "
            "meta_tsv, document_tsv) VALUES (:post_id, :title_f, :body_f, :tags_f, :attachments_f, "
            "to_tsvector('english', :title_f), to_tsvector('english', :attachments_f), "
            "to_tsvector('simple', :meta), "
            "setweight(to_tsvector('english', :title_f), 'A') || "
            "setweight(to_tsvector('english', :tags_f), 'A') || "
            "setweight(to_tsvector('english', :body_f), 'B') || "
            "setweight(to_tsvector('english', :attachments_f), 'C'))"
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


def rebuild(connection: Connection) -> int:
    """Empty the index and index every post again, in batches."""
    connection.execute(text("DELETE FROM search_index"))
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
        _write(connection, _documents(connection, list(ids)))
        total += len(ids)
        last = ids[-1]
    if connection.dialect.name == "sqlite":
        connection.execute(text("INSERT INTO search_index (search_index) VALUES ('optimize')"))
    return total


def reindex_posts(session, post_ids: Iterable[int]) -> None:
    """From a service: flush pending changes, then reindex in the same transaction."""
    session.flush()
    update_posts(session.connection(), post_ids)


def reindex_threads(session, thread_ids: Iterable[int]) -> None:
    session.flush()
    update_threads(session.connection(), thread_ids)


def unindex_posts(session, post_ids: Iterable[int]) -> None:
    session.flush()
    remove_posts(session.connection(), post_ids)
