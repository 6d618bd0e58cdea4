"""Keeping the full-text index in step with the posts, in the same transaction as each write.

One row per post, keyed by the post id: the opening post carries the thread's title and tags; every
post carries its Markdown source and the text of its attachments. Filters (sector, jurisdiction,
state, …) are joined from the live tables at query time, so a move, a merge or a hide never leaves
stale filter data in the index. Deleted posts leave the index."""

import unicodedata
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

BATCH = 2_000


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
            "SELECT p.id, p.thread_id, p.parent_id, p.body, t.title FROM post p "
            "JOIN thread t ON t.id = p.thread_id WHERE p.id IN :ids AND p.state <> 'deleted'"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": post_ids},
    ).all()
    if not posts:
        return []
    opening_threads = sorted({row.thread_id for row in posts if row.parent_id is None})
    tags: dict[int, list[str]] = {}
    if opening_threads:
        for thread_id, name in connection.execute(
            text(
                "SELECT tt.thread_id, tg.name FROM thread_tag tt JOIN tag tg ON tg.id = tt.tag_id "
                "WHERE tt.thread_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": opening_threads},
        ):
            tags.setdefault(thread_id, []).append(name)
    attachments: dict[int, list[str]] = {}
    for post_id, filename, body in connection.execute(
        text("SELECT post_id, filename, text FROM attachment WHERE post_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": [row.id for row in posts]},
    ):
        attachments.setdefault(post_id, []).append(f"{filename}\n{body}")
    return [
        {
            "post_id": row.id,
            "title": row.title if row.parent_id is None else "",
            "body": row.body,
            "tags": " ".join(tags.get(row.thread_id, [])) if row.parent_id is None else "",
            "attachments": "\n".join(attachments.get(row.id, [])),
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
                "INSERT INTO search_index (rowid, title, body, tags, attachments) "
                "VALUES (:post_id, :title, :body, :tags, :attachments)"
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
            "document_tsv) VALUES (:post_id, :title_f, :body_f, :tags_f, :attachments_f, "
            "to_tsvector('english', :title_f), to_tsvector('english', :attachments_f), "
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
