"""Who may add and change documents. Named checks, as in forum/permissions.py: the same can_* decide
the buttons a page shows and what the service allows. `moderates`: whether the user moderates the
post's sector (accounts.permissions.can_moderate_sector)."""

from app.accounts.models import User
from app.attachments.models import Attachment
from app.forum.models import Post, PostState


def can_attach(user: User | None, post: Post, moderates: bool) -> bool:
    """The post's author, or a moderator of its sector, adds documents to a visible post."""
    if user is None or post.state != PostState.visible:
        return False
    return post.author_id == user.id or moderates


def can_edit_attachment(user: User | None, attachment: Attachment, moderates: bool) -> bool:
    """Who uploaded it, or a moderator of the post's sector, edits its details or removes it."""
    return user is not None and (attachment.uploader_id == user.id or moderates)
