"""What a page costs its reader does not grow with the reader's unread notifications: the work the
database does (SQLite's virtual-machine steps, PostgreSQL's rows visited) is counted, not timed."""

import json
from contextlib import contextmanager

import pytest
from sqlalchemy import insert, text

from app.forum import drafts, queries
from app.notifications import service as notifications
from app.notifications.models import Notification
from tests.factories import make_thread, make_user


def _pile_up(database, user, thread, count: int) -> None:
    """`count` unread notifications for `user` about `thread`, written in one statement."""
    with database.unit_of_work() as session:
        session.execute(
            insert(Notification),
            [{"user_id": user.id, "kind": "watched_reply", "thread_id": thread.id} for _ in range(count)],
        )


@contextmanager
def sqlite_steps(database):
    """Counts the SQLite virtual machine's instructions run on the test's one connection."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    raw = database.bind.connection.dbapi_connection
    raw.set_progress_handler(tick, 1)
    try:
        yield steps
    finally:
        raw.set_progress_handler(None, 1)


def postgres_rows(database, sql: str, params: dict) -> int:
    """Rows visited by every node of the statement's plan, as EXPLAIN ANALYZE counts them."""
    plan = database.bind.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql), params).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def rows(node: dict) -> int:
        # Rows returned and rows read then thrown away by a filter: what the node visited.
        visited = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        own = int(visited * node.get("Actual Loops", 1))
        return own + sum(rows(child) for child in node.get("Plans", []))

    return rows(plan[0]["Plan"])


def _members(database, expert):
    """A thread to read; members with no, 200 and 20,000 unread notifications about another one."""
    thread = make_thread(database, expert, title="Reading costs", body="The thread being read.")
    busy = make_thread(database, expert, title="A busy watched thread", body="Many replies.")
    quiet, some, many = (make_user(database) for _ in range(3))
    _pile_up(database, some, busy, 200)
    _pile_up(database, many, busy, 20_000)
    return thread, quiet, some, many


def test_the_reader_state_and_header_count_cost_the_same_whatever_the_backlog(database, expert):
    thread, quiet, some, many = _members(database, expert)
    params = lambda user: {  # noqa: E731
        "user_id": user.id,
        "thread_id": thread.id,
        "draft_key": drafts.reply_draft_key(thread.id),
        "cap": notifications.UNREAD_CAP,
    }
    statements = [
        (str(queries.READER_STATE), params),
        (
            "SELECT count(*) FROM (SELECT 1 FROM notification WHERE user_id = :user_id AND read_at IS NULL "
            "LIMIT :cap) AS capped",
            params,
        ),
    ]
    if database.is_sqlite:

        def work(user) -> int:
            with database.unit_of_work(write=False) as session, sqlite_steps(database) as steps:
                queries.reader_state(session, user, thread)
                notifications.unread_count(session, user, capped=True)
            return steps[0]
    else:

        def work(user) -> int:
            return sum(postgres_rows(database, sql, make(user)) for sql, make in statements)

    assert work(some) == work(many)  # 200 and 20,000 unread: the same work, capped at 100 rows
    assert work(many) - work(quiet) < 100 * 50  # and a bounded amount more than a member with none
    with database.unit_of_work(write=False) as session:
        assert queries.reader_state(session, many, thread).unread_notifications == notifications.UNREAD_CAP
        assert notifications.unread_count(session, many) == 20_000  # the API's figure stays exact


def test_the_thread_page_costs_the_same_with_200_or_20000_unread_notifications(database, expert, signed_in):
    if not database.is_sqlite:
        pytest.skip("the page's every statement is counted on SQLite; PostgreSQL's plans are checked above")
    thread, _quiet, some, many = _members(database, expert)

    def page_work(user) -> int:
        client = signed_in(user)
        assert client.get(f"/t/{thread.id}").status_code == 200  # the first view marks it read
        with sqlite_steps(database) as steps:
            page = client.get(f"/t/{thread.id}")
        assert page.status_code == 200
        assert "99+" in page.text  # the header's figure, capped
        return steps[0]

    assert page_work(some) == page_work(many)
