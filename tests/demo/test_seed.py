"""`forum seed-demo`: the corpus it writes is consistent (trees, paths, counters, revisions) on
SQLite and PostgreSQL, and the same seed plans the same rows."""

from collections import Counter, defaultdict

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.accounts.models import User
from app.cli import main
from app.demo.corpus import EPOCH_END, EPOCH_START
from app.demo.plan import plan_corpus
from app.demo.seed import DEMO_PASSWORD, load_taxonomy, seed_demo
from app.forum.models import (
    Post,
    PostRevision,
    PostState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.sanitize import render_markdown
from app.security import verify_password


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_demo_writes_a_consistent_corpus(database):
    with database.unit_of_work(write=False) as session:
        before = {model: _count(session, model) for model in (User, Thread, Post, PostRevision)}

    counts = seed_demo(database, threads=12, posts=80, seed=7)

    assert (counts["threads"], counts["posts"], counts["users"]) == (12, 80, 20)
    with database.unit_of_work(write=False) as session:
        assert _count(session, Thread) == before[Thread] + 12
        assert _count(session, Post) == before[Post] + 80
        assert _count(session, User) == before[User] + 20
        assert _count(session, PostRevision) == before[PostRevision] + counts["revisions"]
        threads = {t.id: t for t in session.execute(select(Thread)).scalars()}
        posts = {p.id: p for p in session.execute(select(Post)).scalars()}
        revisions = defaultdict(list)
        for revision in session.execute(select(PostRevision).order_by(PostRevision.revision)).scalars():
            revisions[revision.post_id].append(revision)
        links = {
            model: Counter(session.execute(select(model.thread_id)).scalars())
            for model in (ThreadJurisdiction, ThreadInstrument, ThreadTag)
        }
        users = session.execute(select(User).where(User.email == counts["moderator_email"])).scalars().all()
        hashes = set(session.execute(select(User.password_hash).where(User.role != "admin")).scalars())

    # Members: one password hash for all, and it is the printed demo password.
    assert len(users) == 1 and users[0].role == "moderator"
    assert len(hashes) == 1 and verify_password(DEMO_PASSWORD, hashes.pop())

    by_thread = defaultdict(list)
    for post in posts.values():
        by_thread[post.thread_id].append(post)
        parent = posts.get(post.parent_id)
        if post.parent_id is None:
            assert (post.path, post.depth) == (f"{post.id:010d}", 0)
        else:
            assert parent is not None and parent.thread_id == post.thread_id
            assert post.path == f"{parent.path}.{post.id:010d}"
            assert post.depth == parent.depth + 1
            assert post.created_at > parent.created_at
        assert EPOCH_START <= post.created_at < EPOCH_END
        assert post.body_html == render_markdown(post.body)
        # Revision 1 for every post, one row per later revision, the last one being the post's text.
        assert [r.revision for r in revisions[post.id]] == list(range(1, post.revision + 1))
        assert revisions[post.id][-1].body == post.body
        if post.revision > 1:
            assert post.edited_at is not None and revisions[post.id][-1].reason

    for thread_id, thread in threads.items():
        thread_posts = sorted(by_thread[thread_id], key=lambda p: p.id)
        assert [p.parent_id for p in thread_posts].count(None) == 1
        assert thread_posts[0].parent_id is None
        # Ids follow time within a thread, so the flat view is chronological.
        assert [p.created_at for p in thread_posts] == sorted(p.created_at for p in thread_posts)
        assert thread.reply_count == sum(1 for p in thread_posts[1:] if p.state == PostState.visible)
        assert thread.last_post_id == thread_posts[-1].id
        assert thread.last_activity_at == thread_posts[-1].created_at
        assert thread.created_at == thread_posts[0].created_at
        assert 1 <= links[ThreadJurisdiction][thread_id] <= 3
        assert links[ThreadInstrument][thread_id] <= 2
        assert links[ThreadTag][thread_id] <= 4


def _rows(corpus):
    return (
        corpus.users,
        corpus.tags,
        corpus.threads,
        corpus.thread_jurisdictions,
        corpus.thread_instruments,
        corpus.thread_tags,
        list(corpus.iter_posts()),
    )


def test_the_same_seed_plans_the_same_rows(database):
    with database.unit_of_work(write=False) as session:
        taxonomy = load_taxonomy(session)

    def plan(seed: int):
        return _rows(plan_corpus(12, 80, seed, taxonomy, password_hash="hash"))

    first = plan(7)
    assert first == plan(7)
    assert first != plan(8)
    posts = first[-1]
    assert len(posts) == 80 and len({row["body"] for row, _revisions in posts}) == 80


def test_fewer_posts_than_threads_is_refused():
    result = CliRunner().invoke(main, ["seed-demo", "--threads", "5", "--posts", "4"])
    assert result.exit_code == 1
    assert "--posts counts every post" in result.output
    with pytest.raises(ValueError, match="at least --threads"):
        plan_corpus(5, 4, 1, taxonomy=None)
