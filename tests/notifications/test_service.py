"""Watching and notifications: who hears about what, in the app and by mail."""

from sqlmodel import select

from app.notifications import service as notifications
from app.notifications.models import Notification, OutboxMessage
from tests.conftest import csrf_from
from tests.factories import make_reply, make_thread, make_user, set_post_state


def _kinds(database, user) -> list[str]:
    with database.unit_of_work(write=False) as session:
        return [
            n.kind
            for n in session.exec(
                select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
            ).all()
        ]


def test_a_reply_to_your_post_notifies_you_once(database, expert, moderator):
    thread = make_thread(database, expert)
    make_reply(database, moderator, thread, "I disagree")
    # The author also watches their thread; the more specific "reply" wins, once.
    assert _kinds(database, expert) == ["reply"]
    assert _kinds(database, moderator) == []


def test_mentions_notify_the_member_named(database, expert, moderator):
    other = make_user(database, name="Amina Diallo")
    thread = make_thread(database, expert)
    make_reply(database, moderator, thread, "Ask @amina.diallo about the Dakar case. `@expert.not` is code.")
    assert _kinds(database, other) == ["mention"]


def test_watchers_of_a_sector_or_jurisdiction_hear_of_new_threads(signed_in, database, expert, moderator):
    client = signed_in(moderator)
    token = csrf_from(client.get("/s/tobacco").text)
    client.post("/watch", data={"target_type": "sector", "key": "tobacco", "on": "1", "csrf_token": token})
    client.post("/watch", data={"target_type": "jurisdiction", "key": "fr", "on": "1", "csrf_token": token})
    make_thread(database, expert, sector="tobacco", jurisdictions=["FR"])
    make_thread(database, expert, sector="fuel", jurisdictions=["KE"])
    assert _kinds(database, moderator) == ["new_thread"]


def test_watchers_of_a_thread_hear_of_replies(database, expert, moderator):
    thread = make_thread(database, expert)
    reader = make_user(database)
    with database.unit_of_work() as session:
        notifications.watch(session, reader, "thread", thread.id)
    make_reply(database, moderator, thread, "New angle")
    assert _kinds(database, reader) == ["watched_reply"]


def test_header_count_and_page(signed_in, database, expert, moderator):
    thread = make_thread(database, expert, title="Sentencing <script>alert(1)</script> tobacco")
    make_reply(database, moderator, thread)
    client = signed_in(expert)
    page = client.get("/notifications")
    assert '<span class="count">1' in page.text
    assert "replied to your post" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    client.get(f"/t/{thread.id}")
    assert '<span class="count">' not in client.get("/notifications").text


def test_mail_each_goes_to_the_outbox_without_post_text(database, settings, expert, moderator):
    settings.smtp_url = "smtp://127.0.0.1:1"  # configured (nothing is sent in this test)
    thread = make_thread(database, expert, title="Line\nbreak title")
    make_reply(database, moderator, thread, "Confidential detail of the seizure")
    with database.unit_of_work(write=False) as session:
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == expert.email)).one()
    assert "\n" not in mail.subject and "replied to your post" in mail.subject
    assert f"/t/{thread.id}#post-" in mail.body
    assert "Confidential detail" not in mail.body


def test_without_smtp_no_notification_mail_is_queued(database, settings, expert, moderator):
    assert not settings.smtp_url
    digest_user = make_user(database)
    with database.unit_of_work() as session:
        notifications.set_mail_preference(session, digest_user, "daily")
    thread = make_thread(database, expert)
    with database.unit_of_work() as session:
        notifications.watch(session, digest_user, "thread", thread.id)
    make_reply(database, moderator, thread, "A reply the author and a watcher hear of")
    with database.unit_of_work() as session:
        assert notifications.send_digests(session) == 0
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(OutboxMessage)).all() == []
    # The notifications themselves are there, unmailed, for when mail is configured.
    assert _kinds(database, expert) == ["reply"] and _kinds(database, digest_user) == ["watched_reply"]


def test_daily_digest_and_none(database, settings, expert, moderator):
    settings.smtp_url = "smtp://127.0.0.1:1"  # configured (nothing is sent in this test)
    digest_user, quiet_user = make_user(database), make_user(database)
    with database.unit_of_work() as session:
        notifications.set_mail_preference(session, digest_user, "daily")
        notifications.set_mail_preference(session, quiet_user, "none")
    thread = make_thread(database, expert)
    for user in (digest_user, quiet_user):
        with database.unit_of_work() as session:
            notifications.watch(session, user, "thread", thread.id)
    make_reply(database, moderator, thread, "One")
    make_reply(database, moderator, thread, "Two")

    def mails(user):
        with database.unit_of_work(write=False) as session:
            return session.exec(select(OutboxMessage).where(OutboxMessage.to_address == user.email)).all()

    assert mails(digest_user) == [] and mails(quiet_user) == []
    with database.unit_of_work() as session:
        assert notifications.send_digests(session) == 1
    digest = mails(digest_user)
    # Two replies while unread are one item: "2 new replies in …", linking to the first of them.
    assert len(digest) == 1 and digest[0].body.count(f"/t/{thread.id}#post-") == 1
    assert "2 new replies in" in digest[0].body
    with database.unit_of_work() as session:
        assert notifications.send_digests(session) == 0  # not twice a day
    assert mails(quiet_user) == []


def test_a_notification_about_a_hidden_post_reveals_no_text(signed_in, database, expert, moderator):
    thread = make_thread(database, expert)
    post = make_reply(database, moderator, thread, "Informant's name is X")
    set_post_state(database, post.id, "hidden", "confidential")
    page = signed_in(expert).get("/notifications")
    assert "Informant" not in page.text


def test_mail_preference_form(signed_in, expert, database):
    client = signed_in(expert)
    client.post(
        "/profile/mail",
        data={"mail_preference": "daily", "csrf_token": csrf_from(client.get("/profile").text)},
    )
    assert 'value="daily" checked' in client.get("/profile").text
    response = client.post(
        "/profile/mail",
        data={"mail_preference": "hourly", "csrf_token": csrf_from(client.get("/profile").text)},
    )
    assert response.status_code == 422
