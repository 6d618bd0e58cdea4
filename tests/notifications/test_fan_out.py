"""A post's notifications stay proportionate: repeated events collapse into one unread item per
thread and kind, the fan-out is a fixed number of statements whatever the number of watchers, and
mail goes only where it can be sent and once per unread item."""

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, func, insert, update
from sqlmodel import select

from app.accounts.models import User
from app.notifications import service as notifications
from app.notifications.models import Notification, OutboxMessage, Watch
from app.timeutil import utcnow
from tests.factories import make_reply, make_thread, make_user


def _items(database, user) -> list[tuple[str, int, bool]]:
    with database.unit_of_work(write=False) as session:
        rows = session.exec(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).all()
        return [(n.kind, n.count, n.read_at is None) for n in rows]


def _mails_to(database, user) -> int:
    with database.unit_of_work(write=False) as session:
        return session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == user.email)
        ).one()


def _watchers(database, thread, count: int, **values) -> list[int]:
    """`count` members watching `thread`, written in two statements (no password hashing)."""
    stamp = f"{thread.id}-{count}-{utcnow().timestamp()}".replace(".", "-")
    with database.unit_of_work() as session:
        rows = [
            {
                "email": f"w{i}-{stamp}@example.org",
                "display_name": f"Watcher {i}",
                "handle": f"w{i}-{stamp}"[:40],
                "password_hash": "!",
                **values,
            }
            for i in range(count)
        ]
        ids = list(session.execute(insert(User).returning(User.id), rows).scalars())
        session.execute(
            insert(Watch), [{"user_id": i, "target_type": "thread", "target_id": thread.id} for i in ids]
        )
        return ids


def test_a_burst_of_replies_leaves_one_unread_item_per_watcher_with_its_count(
    signed_in, database, settings, expert, moderator
):
    settings.smtp_url = "smtp://127.0.0.1:1"  # configured (nothing is sent in this test)
    thread = make_thread(database, expert, title="Transit of falsified insulin")
    watcher = make_user(database)
    with database.unit_of_work() as session:
        notifications.watch(session, watcher, "thread", thread.id)
    first = make_reply(database, moderator, thread, "One")
    for body in ("Two", "Three", "Four", "Five"):
        make_reply(database, moderator, thread, body)

    assert _items(database, watcher) == [("watched_reply", 5, True)]
    assert _mails_to(database, watcher) == 1  # mailed when it became unread, not five times
    # The thread's author: each reply answers the opening post, one item "5 replies to your posts".
    assert _items(database, expert) == [("reply", 5, True)]

    client = signed_in(watcher)
    page = client.get("/notifications")
    assert "5 new replies in “Transit of falsified insulin”, the latest by" in page.text
    assert f'href="/t/{thread.id}#post-{first.id}"' in page.text  # where reading stopped
    api = client.get("/api/v1/notifications").json()
    assert api["unread"] == 1
    assert [(i["count"], i["post_id"], i["read"]) for i in api["items"]] == [(5, first.id, False)]

    client.get(f"/t/{thread.id}")  # reading the thread reads its notification
    six = make_reply(database, moderator, thread, "Six")
    assert _items(database, watcher) == [("watched_reply", 5, False), ("watched_reply", 1, True)]
    assert _mails_to(database, watcher) == 2
    assert client.get("/api/v1/notifications").json()["items"][0]["post_id"] == six.id


def test_each_member_hears_once_for_the_most_specific_reason(database, expert, moderator):
    thread = make_thread(database, expert)
    mentioned, quiet = make_user(database, name="Amina Diallo"), make_user(database)
    with database.unit_of_work() as session:
        for user in (mentioned, quiet, moderator):
            notifications.watch(session, user, "thread", thread.id)
        session.execute(update(User).where(User.id == quiet.id).values(status="deactivated"))
    make_reply(database, moderator, thread, "Ask @amina.diallo about it.")
    assert _items(database, mentioned) == [("mention", 1, True)]
    assert _items(database, expert) == [("reply", 1, True)]
    assert _items(database, quiet) == []  # deactivated
    assert _items(database, moderator) == []  # the author of the reply


def test_without_smtp_a_burst_queues_no_mail(database, settings, expert, moderator):
    assert not settings.smtp_url
    thread = make_thread(database, expert)
    _watchers(database, thread, 10)
    for _ in range(3):
        make_reply(database, moderator, thread)
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
        assert session.exec(select(func.count()).select_from(Notification)).one() == 11  # 10 + author


@contextmanager
def _statements(database):
    """Every statement sent, with how many values were bound to it: set-based SQL sends neither
    more statements nor more values for more watchers (a row per watcher built in Python would)."""
    seen: list[tuple[str, int]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        rows = parameters if executemany else [parameters]
        seen.append((statement, sum(len(row) for row in rows)))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_a_reply_costs_the_same_statements_and_values_for_5_or_50_watchers(
    database, settings, expert, moderator
):
    settings.smtp_url = "smtp://127.0.0.1:1"
    counts = {}
    for watchers in (5, 50):
        thread = make_thread(database, expert, title=f"Thread watched by {watchers}")
        ids = _watchers(database, thread, watchers)
        make_reply(database, moderator, thread, "First, so that the next one collapses into it")
        with _statements(database) as seen:
            make_reply(database, moderator, thread, "A reply every watcher hears of")
        counts[watchers] = (len(seen), sum(values for _statement, values in seen))
        with database.unit_of_work(write=False) as session:
            told = session.exec(
                select(Notification.count).where(
                    Notification.thread_id == thread.id, Notification.user_id.in_(ids)
                )
            ).all()
        assert sorted(told) == [2] * watchers
    assert counts[5] == counts[50], counts


def test_read_notifications_past_the_retention_are_pruned_unread_ones_kept(database, settings, expert):
    thread = make_thread(database, expert)
    now = utcnow()
    ages = {"old read": (200, 190), "recent read": (200, 10), "old unread": (400, None)}
    with database.unit_of_work() as session:
        for kind, (created, read) in ages.items():
            session.add(
                Notification(
                    user_id=expert.id,
                    kind=kind,
                    thread_id=thread.id,
                    created_at=now - timedelta(days=created),
                    read_at=None if read is None else now - timedelta(days=read),
                )
            )
    assert settings.notification_retention_days == 180
    with database.unit_of_work() as session:
        assert notifications.prune_read(session) == 1
    kinds = {kind for kind, _count, _unread in _items(database, expert)}
    assert {"recent read", "old unread"} <= kinds and "old read" not in kinds
    settings.notification_retention_days = 0  # keep everything
    with database.unit_of_work() as session:
        assert notifications.prune_read(session, now + timedelta(days=3650)) == 0


def test_the_profile_says_why_no_mail_is_sent(signed_in, settings, expert):
    client = signed_in(expert)
    assert "no mail server is configured" in client.get("/profile").text
    settings.smtp_url = "smtp://127.0.0.1:1"
    assert "no mail server is configured" not in client.get("/profile").text


def test_a_counted_up_item_moves_to_the_top_and_a_doubled_one_does_not_double(database, expert, moderator):
    first, second = (
        make_thread(database, expert, title="First"),
        make_thread(database, expert, title="Second"),
    )
    watcher = make_user(database)
    with database.unit_of_work() as session:
        for thread in (first, second):
            notifications.watch(session, watcher, "thread", thread.id)
    make_reply(database, moderator, first)
    make_reply(database, moderator, second)
    make_reply(database, moderator, first)
    with database.unit_of_work(write=False) as session:
        listed = notifications.list_notifications(session, watcher)
    assert [(title, n.count) for n, _actor, title in listed] == [("First", 2), ("Second", 1)]
    # Two unread items of one kind in one thread (as a merge of threads leaves): one counts up.
    with database.unit_of_work() as session:
        session.add(Notification(user_id=watcher.id, kind="watched_reply", thread_id=second.id, count=4))
    make_reply(database, moderator, second)
    assert sorted(c for kind, c, unread in _items(database, watcher) if unread) == [2, 2, 4]


def test_a_daily_digest_hears_of_what_was_counted_up_after_it(database, settings, expert, moderator):
    settings.smtp_url = "smtp://127.0.0.1:1"
    thread = make_thread(database, expert, title="Digest thread")
    member = make_user(database)
    with database.unit_of_work() as session:
        notifications.set_mail_preference(session, member, "daily")
        notifications.watch(session, member, "thread", thread.id)
    make_reply(database, moderator, thread)
    with database.unit_of_work() as session:
        assert notifications.send_digests(session) == 1
        session.execute(
            update(User).where(User.id == member.id).values(digest_sent_at=utcnow() - timedelta(days=1))
        )
    make_reply(database, moderator, thread)
    with database.unit_of_work() as session:
        assert notifications.send_digests(session) == 1
    with database.unit_of_work(write=False) as session:
        bodies = session.exec(
            select(OutboxMessage.body)
            .where(OutboxMessage.to_address == member.email)
            .order_by(OutboxMessage.id)
        ).all()
    assert len(bodies) == 2 and "2 new replies in “Digest thread”" in bodies[1]


def test_a_saved_search_is_not_told_again_of_a_reply_counted_in_a_watched_thread(database, expert, moderator):
    from app.search import saved

    thread = make_thread(database, expert, title="Insulin in free zones")
    watcher = make_user(database)
    with database.unit_of_work() as session:
        notifications.watch(session, watcher, "thread", thread.id)
        saved.save(session, watcher, "consignment")
        saved.notify_new_matches(session)  # brings the search up to date
    make_reply(database, moderator, thread, "The consignment went through the zone.")
    make_reply(database, moderator, thread, "A second consignment followed.")
    with database.unit_of_work() as session:
        saved.notify_new_matches(session)
    assert _items(database, watcher) == [("watched_reply", 2, True)]
