"""`forum seed-demo`: a deterministic, realistic demo corpus, fast enough for load benchmarks.

Two steps. `plan_corpus()` is pure: from the taxonomy already in the database, the first free id of
each table and a seed, it returns every row (members, tags, threads and their taxonomy links, posts
with their revisions) without touching the database; the same arguments give the same rows.
`seed_demo()` writes that plan with Core bulk inserts, a batch of posts per transaction.

Choices that make it fast and repeatable:

- Ids are assigned here, in chronological order (threads by creation time, posts by time across
  all threads), starting after the largest id of each table, so the materialised paths and thread
  counters are computed before anything is inserted. PostgreSQL sequences are moved past them at
  the end.
- Times are spread over six years ending at the fixed `EPOCH_END` (2026-11-01 00:00 UTC), never the
  wall clock.
- Every post's text comes from its own `random.Random`, seeded from the corpus seed and the post's
  position, so a post's text does not depend on how the posts are batched.
- Every member gets the same password hash, computed once: the demo password below. That hash is
  the one value that differs between two runs with the same seed (argon2 salts are random).
"""

import time
from itertools import islice

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlmodel import Session

from app.accounts.models import User
from app.cache import bump
from app.db import Database
from app.demo.corpus import StartIds, Taxonomy
from app.demo.plan import plan_corpus
from app.forum.models import (
    Post,
    PostRevision,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.search import index as search_index
from app.security import hash_password
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag

DEMO_PASSWORD = "demo passphrase 2026"  # noqa: S105 - printed on purpose: it is the demo's sign-in


POST_BATCH = 2000


# The tables whose ids the plan assigns, in the order in which they are filled.
NUMBERED = {"user": User, "tag": Tag, "thread": Thread, "post": Post, "revision": PostRevision}


def load_taxonomy(session: Session) -> Taxonomy:
    sectors = session.execute(
        select(Sector.id, Sector.slug).where(Sector.archived.is_(False)).order_by(Sector.position, Sector.id)
    ).all()
    jurisdictions = session.execute(
        select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.kind)
        .where(Jurisdiction.archived.is_(False))
        .order_by(Jurisdiction.id)
    ).all()
    instruments = session.execute(
        select(Instrument.id, Instrument.slug, Instrument.short_name)
        .where(Instrument.archived.is_(False))
        .order_by(Instrument.id)
    ).all()
    return Taxonomy(
        sectors=[tuple(row) for row in sectors],
        jurisdictions=[tuple(row) for row in jurisdictions],
        instruments=[tuple(row) for row in instruments],
        tags=dict(session.execute(select(Tag.name, Tag.id)).all()),
    )


def _first_free_id(session: Session, model, postgresql: bool) -> int:
    table = model.__table__
    highest = session.execute(select(func.max(table.c.id))).scalar() or 0
    if postgresql:
        # Ids handed out and rolled back still count: start after the sequence too.
        sequence = func.pg_get_serial_sequence(table.name, "id")
        last = session.execute(select(func.pg_sequence_last_value(sequence.cast(REGCLASS)))).scalar()
        highest = max(highest, last or 0)
    return highest + 1


def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(model.__table__), rows)


def seed_demo(database: Database, threads: int = 200, posts: int = 2000, seed: int = 1) -> dict:
    """Plan the corpus, then write it: members, tags and threads in one transaction, then the
    posts and their revisions in batches of POST_BATCH, one transaction each. Run it on a
    database nobody else is writing to: the ids are chosen before the batches are written."""
    postgresql = database.engine.dialect.name == "postgresql"
    started = time.perf_counter()
    with database.unit_of_work(write=False) as session:
        taxonomy = load_taxonomy(session)
        start = StartIds(
            **{key: _first_free_id(session, model, postgresql) for key, model in NUMBERED.items()}
        )
        taken = session.execute(select(User.email, User.handle)).all()
    corpus = plan_corpus(
        threads,
        posts,
        seed,
        taxonomy,
        start,
        # One hash for every demo member: argon2 is slow on purpose.
        password_hash=hash_password(DEMO_PASSWORD),
        taken_emails={email for email, _handle in taken},
        taken_handles={handle for _email, handle in taken},
    )
    planned = time.perf_counter()
    with database.unit_of_work() as session:
        _insert(session, User, corpus.users)
        _insert(session, Tag, corpus.tags)
        _insert(session, Thread, corpus.threads)
        _insert(session, ThreadJurisdiction, corpus.thread_jurisdictions)
        _insert(session, ThreadInstrument, corpus.thread_instruments)
        _insert(session, ThreadTag, corpus.thread_tags)
    revisions = 0
    rows = corpus.iter_posts()
    while batch := list(islice(rows, POST_BATCH)):
        with database.unit_of_work() as session:
            _insert(session, Post, [post for post, _revisions in batch])
            revision_rows = [revision for _post, post_revisions in batch for revision in post_revisions]
            _insert(session, PostRevision, revision_rows)
            revisions += len(revision_rows)
            # Searchable at once, in the same transaction as the posts.
            search_index.update_posts(session.connection(), [post["id"] for post, _revisions in batch])
            bump(session)  # counts kept by running servers are recomputed
    if postgresql:
        # The ids were chosen here, not drawn from the sequences: move them past what was written.
        with database.unit_of_work() as session:
            for model in NUMBERED.values():
                table = model.__table__
                session.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, "id"),
                            select(func.max(table.c.id)).scalar_subquery(),
                        )
                    )
                )
    moderator = next(user for user in corpus.users if user["role"] == "moderator")
    return {
        "users": len(corpus.users),
        "moderators": sum(1 for user in corpus.users if user["role"] == "moderator"),
        "tags": len(corpus.tags),
        "threads": len(corpus.threads),
        "posts": len(corpus.posts),
        "revisions": revisions,
        "thread_jurisdictions": len(corpus.thread_jurisdictions),
        "thread_instruments": len(corpus.thread_instruments),
        "thread_tags": len(corpus.thread_tags),
        "moderator_email": moderator["email"],
        "plan_seconds": round(planned - started, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
