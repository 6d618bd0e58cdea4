"""Mail goes out through a real SMTP server when FORUM_SMTP_URL is set."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import select

from app.notifications.models import OutboxMessage
from tests.conftest import csrf_from
from tests.factories import make_token


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    # aiosmtpd's start() probes its own port, so it needs a concrete one rather than 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_url = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


def test_invitation_is_mailed_and_kept_in_the_outbox(client, database, admin, smtp):
    token = make_token(database, admin)
    response = client.post(
        "/api/v1/invitations",
        json={"email": "mail@example.org", "role": "expert"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "mail@example.org"
    assert response.json()["url"] in message.get_payload(decode=True).decode()
    with database.unit_of_work(write=False) as session:
        kept = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == "mail@example.org")).one()
    assert kept.sent_at is not None


def test_page_does_not_show_the_link_when_mail_went_out(signed_in, admin, smtp):
    client = signed_in(admin)
    page = client.get("/invitations")
    response = client.post(
        "/invitations", data={"email": "m2@example.org", "role": "expert", "csrf_token": csrf_from(page.text)}
    )
    assert "Invitation sent to m2@example.org" in response.text
    assert "/register?token=" not in response.text
    assert len(smtp.messages) == 1


def test_password_reset_mail_arrives_only_for_real_accounts(anonymous, expert, smtp):
    for email in (expert.email, "nobody@example.org"):
        page = anonymous.get("/password-reset")
        response = anonymous.post(
            "/password-reset", data={"email": email, "csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 200
        assert "If an account uses that address" in response.text
    assert [m["To"] for m in smtp.messages] == [expert.email]
    assert "/password-reset/" in smtp.messages[0].get_payload(decode=True).decode()


def test_unreachable_smtp_keeps_the_message_for_later(client, database, admin, settings):
    settings.smtp_url = "smtp://127.0.0.1:1"
    token = make_token(database, admin)
    response = client.post(
        "/api/v1/invitations",
        json={"email": "later@example.org"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    with database.unit_of_work(write=False) as session:
        kept = session.exec(
            select(OutboxMessage).where(OutboxMessage.to_address == "later@example.org")
        ).one()
    assert kept.sent_at is None and kept.attempts == 1 and kept.last_error
