"""Attachments: upload (verified, deduplicated, text extracted), tags, the library, downloads.

Access follows the post: whoever may read a post's text may fetch its documents; anyone else gets
404, the same answer as for an id that does not exist."""

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.accounts.models import User
from app.accounts.permissions import can_moderate_sector, is_moderator
from app.attachments import permissions
from app.attachments.detect import detect
from app.attachments.extract import extract_text
from app.attachments.models import Attachment, AttachmentJurisdiction, AttachmentTag, DocumentKind
from app.attachments.storage import get_storage, sha256_of
from app.attachments.upload import ParsedUpload
from app.db import after_commit, on_rollback
from app.errors import Forbidden, Invalid, NotFound, ValidationFailed
from app.forum import permissions as forum_permissions
from app.forum.filters import thread_conditions
from app.forum.models import Post, PostState, Thread, ThreadJurisdiction
from app.i18n import _
from app.pagination import decode_cursor, encode_cursor
from app.search import index as search_index
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Jurisdiction, Sector, Tag

LANGUAGE_CODES = {"", "en", "fr", "es", "ar", "pt", "ru", "zh", "de", "it", "nl", "other"}


def clean_filename(raw: str) -> str:
    """A display name: no directories, no control or bidirectional-override characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters (NUL, CR, LF); Cf: format characters such as U+202E, which would make
    # "evil\u202Efdp.exe" display as "evilexe.pdf".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = " ".join(name.split()).strip(" .")
    return name[:200] or "document"


def _check_kind(kind: str) -> str:
    if kind not in DocumentKind.__members__:
        raise ValidationFailed({"kind": _("Choose a document kind.")})
    return kind


def _check_language(language: str) -> str:
    language = (language or "").strip().lower()
    if language not in LANGUAGE_CODES:
        raise ValidationFailed({"language": _("Choose a language from the list.")})
    return language


def _moderates(session: Session, user: User, post: Post) -> bool:
    thread = session.get(Thread, post.thread_id)
    return can_moderate_sector(session, user, thread.sector_id)


def can_attach(session: Session, user: User | None, post: Post) -> bool:
    # The sector's moderators are looked up only when the author's own right does not decide.
    moderates = user is not None and post.author_id != user.id and _moderates(session, user, post)
    return permissions.can_attach(user, post, moderates)


def can_edit_attachment(session: Session, user: User | None, attachment: Attachment, post: Post) -> bool:
    moderates = user is not None and attachment.uploader_id != user.id and _moderates(session, user, post)
    return permissions.can_edit_attachment(user, attachment, moderates)


def check_can_attach(session: Session, user: User, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or not forum_permissions.can_see_post_body(user, post):
        raise NotFound(_("No such post."))
    if not can_attach(session, user, post):
        raise Forbidden(
            _("Only the author of a post, or a moderator of its sector, can attach documents to it.")
        )
    return post


@dataclass
class PreparedFile:
    filename: str
    path: Path
    size: int
    content_type: str
    sha256: str
    text: str
    text_status: str


def prepare(parsed: ParsedUpload, *, kind: str, tags: str | list[str], language: str) -> list[PreparedFile]:
    """Check the form and every file, hash them and extract their text, without the database, so no
    lock is held meanwhile. Any refusal removes every temporary file."""
    try:
        if not parsed.files:
            raise ValidationFailed({"file": _("Choose a file to upload.")})
        _check_kind(kind), _check_language(language), taxonomy.parse_tags(tags)
        prepared = []
        for upload_file in parsed.files:
            detected = detect(upload_file.path, upload_file.filename)
            text, status = extract_text(upload_file.path, detected.kind)
            prepared.append(
                PreparedFile(
                    clean_filename(upload_file.filename),
                    upload_file.path,
                    upload_file.size,
                    detected.content_type,
                    sha256_of(upload_file.path),
                    text,
                    status,
                )
            )
    except BaseException:
        parsed.discard()
        raise
    return prepared


def store(
    session: Session,
    user: User,
    post_id: int,
    files: list[PreparedFile],
    *,
    kind: str,
    tags: str | list[str],
    language: str,
) -> list[Attachment]:
    """Store checked files and their rows in one short transaction: all or none, no orphan file."""
    try:
        post = check_can_attach(session, user, post_id)
        kind, language = _check_kind(kind), _check_language(language)
        tag_rows = taxonomy.get_or_create_tags(session, taxonomy.parse_tags(tags))
    except BaseException:
        for file in files:
            file.path.unlink(missing_ok=True)
        raise
    storage = get_storage()
    jurisdiction_ids = session.exec(
        select(ThreadJurisdiction.jurisdiction_id).where(ThreadJurisdiction.thread_id == post.thread_id)
    ).all()
    attachments = []
    for file in files:
        if storage.put(file.path, file.sha256):
            # A new file whose transaction fails must not stay behind as an orphan.
            on_rollback(session, lambda digest=file.sha256: storage.delete(digest))
        attachment = Attachment(
            post_id=post.id,
            uploader_id=user.id,
            filename=file.filename,
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            kind=kind,
            language=language,
            text=file.text,
            text_status=file.text_status,
        )
        session.add(attachment)
        session.flush()
        session.add_all([AttachmentTag(attachment_id=attachment.id, tag_id=tag.id) for tag in tag_rows])
        session.add_all(
            [
                AttachmentJurisdiction(attachment_id=attachment.id, jurisdiction_id=jid)
                for jid in jurisdiction_ids
            ]
        )
        attachments.append(attachment)
    search_index.reindex_posts(session, [post.id])
    return attachments


def get_attachment(session: Session, user: User, attachment_id: int) -> tuple[Attachment, Post, Thread]:
    row = session.exec(
        select(Attachment, Post, Thread)
        .join(Post, Post.id == Attachment.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Attachment.id == attachment_id)
    ).first()
    if row is None or not forum_permissions.can_see_post_body(user, row[1]):
        raise NotFound(_("No such document."))
    return row


def file_path(attachment: Attachment) -> Path:
    path = get_storage().path(attachment.sha256)
    if not path.exists():
        raise NotFound(_("This document's file is missing from the store."))
    return path


@dataclass
class AttachmentView:
    attachment: Attachment
    post: Post
    thread: Thread
    sector: Sector | None = None
    uploader: User | None = None
    tags: list[str] = field(default_factory=list)
    jurisdictions: list[Jurisdiction] = field(default_factory=list)


def views(session: Session, rows: list[tuple[Attachment, Post, Thread]]) -> list[AttachmentView]:
    """Tags, jurisdictions, uploaders and sectors for a page of attachments: four queries."""
    if not rows:
        return []
    ids = [a.id for a, _p, _t in rows]
    result = {a.id: AttachmentView(a, p, t) for a, p, t in rows}
    for attachment_id, name in session.exec(
        select(AttachmentTag.attachment_id, Tag.name)
        .join(Tag)
        .where(AttachmentTag.attachment_id.in_(ids))
        .order_by(Tag.name)
    ):
        result[attachment_id].tags.append(name)
    for attachment_id, jurisdiction in session.exec(
        select(AttachmentJurisdiction.attachment_id, Jurisdiction)
        .join(Jurisdiction)
        .where(AttachmentJurisdiction.attachment_id.in_(ids))
        .order_by(Jurisdiction.name)
    ):
        result[attachment_id].jurisdictions.append(jurisdiction)
    uploader_ids = {a.uploader_id for a, _p, _t in rows if a.uploader_id}
    uploaders = (
        {u.id: u for u in session.exec(select(User).where(User.id.in_(uploader_ids)))} if uploader_ids else {}
    )
    sectors = {
        s.id: s
        for s in session.exec(select(Sector).where(Sector.id.in_({t.sector_id for _a, _p, t in rows})))
    }
    for view in result.values():
        view.uploader = uploaders.get(view.attachment.uploader_id)
        view.sector = sectors.get(view.thread.sector_id)
    return [result[i] for i in ids]


def for_posts(session: Session, user: User, post_ids: list[int]) -> dict[int, list[Attachment]]:
    """Attachments of the posts on a page, one query."""
    if not post_ids:
        return {}
    grouped: dict[int, list[Attachment]] = {}
    for attachment in session.exec(
        select(Attachment).where(Attachment.post_id.in_(post_ids)).order_by(Attachment.id)
    ).all():
        grouped.setdefault(attachment.post_id, []).append(attachment)
    return grouped


def update(
    session: Session,
    user: User,
    attachment_id: int,
    *,
    kind: str | None = None,
    tags: str | list[str] | None = None,
    language: str | None = None,
) -> Attachment:
    attachment, post, thread = get_attachment(session, user, attachment_id)
    if not can_edit_attachment(session, user, attachment, post):
        raise Forbidden(_("Only the uploader or a moderator can change a document's tags."))
    reindex = kind is not None and _check_kind(kind) != attachment.kind
    if kind is not None:
        attachment.kind = _check_kind(kind)
    if language is not None:
        attachment.language = _check_language(language)
    if tags is not None:
        rows = taxonomy.get_or_create_tags(session, taxonomy.parse_tags(tags))
        session.execute(delete(AttachmentTag).where(AttachmentTag.attachment_id == attachment.id))
        session.add_all([AttachmentTag(attachment_id=attachment.id, tag_id=tag.id) for tag in rows])
    session.add(attachment)
    if reindex:  # kind: is matched as a token in the search index
        search_index.reindex_posts(session, [attachment.post_id])
    return attachment


def remove(session: Session, user: User, attachment_id: int) -> Attachment:
    """Delete an attachment; the file goes too once no other attachment shares its bytes."""
    attachment, post, _thread = get_attachment(session, user, attachment_id)
    if not can_edit_attachment(session, user, attachment, post):
        raise Forbidden(_("Only the uploader or a moderator can remove a document."))
    digest = attachment.sha256
    session.delete(attachment)
    session.flush()
    search_index.reindex_posts(session, [attachment.post_id])
    others = session.exec(
        select(func.count()).select_from(Attachment).where(Attachment.sha256 == digest)
    ).one()
    if not others:
        storage = get_storage()
        after_commit(session, lambda: storage.delete(digest))
    return attachment


@dataclass
class LibraryFilters:
    kind: str = ""
    tag: str = ""
    sector: str = ""
    jurisdiction: str = ""
    language: str = ""
    uploader: str = ""  # handle


def library(
    session: Session, user: User, filters: LibraryFilters, cursor: str | None = None, limit: int = 30
) -> tuple[list[AttachmentView], str | None]:
    """Every attachment the viewer may see, newest first, keyset-paginated on id."""
    statement = (
        select(Attachment, Post, Thread)
        .join(Post, Post.id == Attachment.post_id)
        .join(Thread, Thread.id == Post.thread_id)
    )
    # Experts see documents of visible posts only; moderators also those of hidden posts.
    states = [PostState.visible, PostState.hidden] if is_moderator(user) else [PostState.visible]
    statement = statement.where(Post.state.in_(states))
    if filters.kind:
        statement = statement.where(Attachment.kind == _check_kind(filters.kind))
    if filters.language:
        statement = statement.where(Attachment.language == _check_language(filters.language))
    statement = statement.where(
        *thread_conditions(session, sector=filters.sector, jurisdiction=filters.jurisdiction)
    )
    if filters.tag:
        tag = session.exec(select(Tag).where(Tag.name == taxonomy.normalise_tag(filters.tag))).first()
        if tag is None:
            return [], None
        statement = statement.where(
            Attachment.id.in_(select(AttachmentTag.attachment_id).where(AttachmentTag.tag_id == tag.id))
        )
    if filters.uploader:
        uploader = session.exec(
            select(User).where(User.handle == filters.uploader.strip().lstrip("@").lower())
        ).first()
        if uploader is None:
            return [], None
        statement = statement.where(Attachment.uploader_id == uploader.id)
    after = decode_cursor(cursor, 1)
    if after:
        try:
            statement = statement.where(Attachment.id < int(after[0]))
        except (TypeError, ValueError):
            raise Invalid(_("The page cursor is not valid; start from the first page.")) from None
    rows = list(session.exec(statement.order_by(Attachment.id.desc()).limit(limit + 1)).all())
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    return views(session, rows[:limit]), next_cursor
