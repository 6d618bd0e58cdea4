"""The `forum` command: db upgrade, serve, create-admin, invite, token create, seed-demo, search,
notifications.

Each command imports what it needs inside its function: importing every service up front would
make `forum --help` and every command start in 2.2 s instead of 0.3 s."""

import sys

import click

from app.config import get_settings
from app.errors import AppError, ValidationFailed


def _database():
    # imported here: each command loads only what it uses (see the module docstring)
    from app.db import Database, make_engine

    return Database(make_engine(get_settings().resolved_database_url()))


def _fail(error: AppError) -> None:
    if isinstance(error, ValidationFailed):
        for field, message in error.errors.items():
            click.echo(f"error: {field}: {message}", err=True)
    else:
        click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """Legal Expert Forum administration."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (SQLite or PostgreSQL, from FORUM_DATABASE_URL)."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.migrate import upgrade

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(get_settings().resolved_database_url(), revision)
    click.echo("Database is up to date.")


def admin_hint() -> str | None:
    """The command to run when no admin exists yet, else None."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.accounts.users import admin_exists

    database = _database()
    try:
        with database.unit_of_work(write=False) as session:
            if admin_exists(session):
                return None
    finally:
        database.engine.dispose()
    return "forum create-admin --email you@example.org --name 'Your Name'"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log every request line. Off by default: addresses carry search queries about ongoing cases.",
)
def serve(host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve the forum over HTTP."""
    # imported here: each command loads only what it uses (see the module docstring)
    import uvicorn

    if hint := admin_hint():
        click.echo(
            "\nNo administrator exists yet. Create the first one with:\n\n"
            f"    .venv/bin/{hint}\n\n(it asks for the password), then sign in at "
            f"{get_settings().base_url}/login\n"
        )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        log_level="info",
        access_log=access_log,
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(email: str, name: str, password_stdin: bool) -> None:
    """Create an administrator (the password is prompted for, never a default)."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.accounts.models import Role
    from app.accounts.users import create_user

    password = _read_password(password_stdin)
    database = _database()
    try:
        with database.unit_of_work() as session:
            user = create_user(session, email=email, name=name, password=password, role=Role.admin)
            click.echo(f"Administrator {user.email} created. Sign in at {get_settings().base_url}/login")
    except AppError as error:
        _fail(error)


@main.command()
@click.option("--email", required=True)
@click.option(
    "--role", type=click.Choice(["expert", "moderator", "admin"]), default="expert", show_default=True
)
def invite(email: str, role: str) -> None:
    """Invite someone; prints the registration link (and mails it when SMTP is set)."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.accounts.invitations import create_invitation
    from app.notifications.mail import deliver_pending

    database = _database()
    try:
        with database.unit_of_work() as session:
            _invitation, url = create_invitation(session, None, email=email, role=role)
    except AppError as error:
        _fail(error)
    deliver_pending(database)
    click.echo(url)


@main.group()
def token() -> None:
    """Personal access tokens."""


@token.command("create")
@click.option("--email", required=True)
@click.option("--name", default="command line", show_default=True)
def token_create(email: str, name: str) -> None:
    """Create a personal access token for a user and print it."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.accounts.tokens import create_api_token
    from app.accounts.users import get_user_by_email

    database = _database()
    try:
        with database.unit_of_work() as session:
            user = get_user_by_email(session, email)
            if user is None:
                click.echo(f"error: no user with the email address {email}", err=True)
                sys.exit(1)
            _token, raw = create_api_token(session, user, name)
    except AppError as error:
        _fail(error)
    click.echo(raw)


@main.command("import")
@click.argument("archive", type=click.File("r", encoding="utf-8"))
@click.option(
    "--admin", "admin_email", help="The administrator the import is recorded under (default: the first)."
)
def import_command(archive, admin_email: str | None) -> None:
    """Load a JSON-lines archive of members, threads and nested replies, keeping their dates."""
    # imported here: each command loads only what it uses (see the module docstring)
    from sqlmodel import select

    # imported here: each command loads only what it uses (see the module docstring)
    from app.accounts.models import User
    from app.forum.importer import import_archive

    database = _database()
    if admin_email is None:
        with database.unit_of_work(write=False) as session:
            admin = session.exec(select(User).where(User.role == "admin").order_by(User.id)).first()
        if admin is None:
            click.echo("error: no administrator yet: run `forum create-admin` first", err=True)
            sys.exit(1)
        admin_email = admin.email
    try:
        report = import_archive(database, admin_email, archive)
    except AppError as error:
        _fail(error)
    for line in report.errors:
        click.echo(f"error: {line}", err=True)
    click.echo(f"Imported {report.users} members, {report.threads} threads and {report.posts} posts.")
    if report.errors:
        sys.exit(1)


@main.command("seed-demo")
@click.option("--threads", default=200, show_default=True, type=int, help="Threads to create.")
@click.option(
    "--posts", default=2000, show_default=True, type=int, help="Posts in all, opening posts included."
)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same corpus.")
def seed_demo(threads: int, posts: int, seed: int) -> None:
    """Fill the database with a deterministic demo corpus (after `forum db upgrade`)."""
    # imported here: each command loads only what it uses (see the module docstring)
    import time

    # imported here: each command loads only what it uses (see the module docstring)
    from sqlalchemy.exc import OperationalError, ProgrammingError

    # imported here: each command loads only what it uses (see the module docstring)
    from app.demo.seed import DEMO_PASSWORD
    from app.demo.seed import seed_demo as build

    if threads < 1 or posts < threads:
        click.echo(
            "error: --posts counts every post, opening posts included, so it must be at least "
            f"--threads (got --threads {threads} --posts {posts}); --threads must be at least 1.",
            err=True,
        )
        sys.exit(1)
    started = time.perf_counter()
    database = _database()
    try:
        counts = build(database, threads=threads, posts=posts, seed=seed)
    except (OperationalError, ProgrammingError) as error:
        click.echo(f"error: {error.orig}\nIs the database migrated? Run `forum db upgrade` first.", err=True)
        sys.exit(1)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    finally:
        database.engine.dispose()
    click.echo(
        f"Seeded {counts['threads']:,} threads and {counts['posts']:,} posts ({counts['revisions']:,} "
        f"revisions), {counts['users']:,} members ({counts['moderators']} moderators), "
        f"{counts['tags']} new tags, with seed {seed}, in {time.perf_counter() - started:.1f} s."
    )
    click.echo(
        f"Sign in as any demo member, for example the moderator {counts['moderator_email']}, "
        f"with the password: {DEMO_PASSWORD}"
    )


@main.group()
def search() -> None:
    """The full-text search index and saved searches."""


@search.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from scratch."""
    # imported here: each command loads only what it uses (see the module docstring)
    import time

    # imported here: each command loads only what it uses (see the module docstring)
    from app.search.index import rebuild

    started = time.perf_counter()
    database = _database()
    try:
        with database.unit_of_work() as session:
            count = rebuild(session.connection())
    finally:
        database.engine.dispose()
    click.echo(f"Indexed {count:,} posts in {time.perf_counter() - started:.1f} s.")


@search.command("notify")
def search_notify() -> None:
    """Check saved searches for new matches now (the server also does it after each new post)."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.notifications.mail import deliver_pending
    from app.search.saved import notify_new_matches

    database = _database()
    try:
        with database.unit_of_work() as session:
            count = notify_new_matches(session)
        deliver_pending(database)
    finally:
        database.engine.dispose()
    click.echo(f"{count} notifications for new matches.")


@main.group()
def notifications() -> None:
    """Notification mail and retention."""


@notifications.command("digest")
def notifications_digest() -> None:
    """Send the daily digests that are due (run it from cron, e.g. hourly)."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.notifications.mail import deliver_pending
    from app.notifications.service import send_digests

    database = _database()
    try:
        with database.unit_of_work() as session:
            count = send_digests(session)
        deliver_pending(database)
    finally:
        database.engine.dispose()
    click.echo(f"{count} digests queued.")


@notifications.command("prune")
def notifications_prune() -> None:
    """Delete read notifications older than FORUM_NOTIFICATION_RETENTION_DAYS (cron it daily)."""
    # imported here: each command loads only what it uses (see the module docstring)
    from app.notifications.service import prune_read

    database = _database()
    try:
        with database.unit_of_work() as session:
            count = prune_read(session)
    finally:
        database.engine.dispose()
    days = get_settings().notification_retention_days
    kept = f"read more than {days} days ago" if days else "none: FORUM_NOTIFICATION_RETENTION_DAYS is 0"
    click.echo(f"{count} notifications deleted ({kept}).")


if __name__ == "__main__":
    main()
