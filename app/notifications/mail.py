"""The outbox: messages are written in the transaction that causes them, sent after it commits."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, select

from app.config import Settings, get_settings
from app.notifications.models import OutboxMessage
from app.timeutil import utcnow

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    """Notification mail is queued only when it can be sent (FORUM_SMTP_URL): without SMTP every
    post would leave one outbox row per watcher that nothing will ever deliver. Invitations and
    password resets are kept either way: the administrator copies their links from the page."""
    return bool(get_settings().smtp_url)


def queue_mail(session: Session, to_address: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(to_address=to_address, subject=subject, body=body)
    session.add(message)
    return message


def _connect(url: str) -> smtplib.SMTP:
    """smtp://user:pass@host:port (STARTTLS when offered), smtps://… for implicit TLS."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=15, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=15)
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def deliver_pending(database, settings: Settings | None = None, limit: int = 100) -> int:
    """Send what the outbox holds unsent (a few attempts each); returns how many went out."""
    settings = settings or get_settings()
    if not settings.smtp_url:
        return 0
    sent = 0
    unsent = (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 5)
    # Asked in a read first: a write transaction takes SQLite's one writer's turn.
    with database.unit_of_work(write=False) as session:
        if session.exec(select(OutboxMessage.id).where(*unsent).limit(1)).first() is None:
            return 0
    with database.unit_of_work() as session:
        pending = session.exec(
            select(OutboxMessage).where(*unsent).order_by(OutboxMessage.id).limit(limit)
        ).all()
        if not pending:
            return 0
        try:
            client = _connect(settings.smtp_url)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("SMTP unavailable: %s", error)
            for message in pending:
                message.attempts += 1
                message.last_error = str(error)[:1000]
            return 0
        with client:
            for message in pending:
                email = EmailMessage()
                email["From"] = settings.mail_from
                email["To"] = message.to_address
                email["Subject"] = message.subject
                email.set_content(message.body)
                message.attempts += 1
                try:
                    client.send_message(email)
                except (OSError, smtplib.SMTPException) as error:
                    message.last_error = str(error)[:1000]
                    continue
                message.sent_at = utcnow()
                sent += 1
    return sent
