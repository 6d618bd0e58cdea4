"""Who may do what with threads and posts. can_* for templates; check_* raise for services."""

from app.accounts.models import User
from app.accounts.permissions import is_moderator
from app.errors import Forbidden, NotFound
from app.forum.models import Post, PostState, Thread
from app.i18n import _


def can_reply(user: User | None, thread: Thread, moderates: bool = False) -> bool:
    """Locked threads take no replies, except from the sector's moderators (who may need to explain
    the lock). `moderates`: whether the user moderates the thread's sector (accounts.permissions)."""
    return user is not None and (not thread.locked or moderates)


def can_see_post_body(user: User | None, post: Post) -> bool:
    if post.state == PostState.visible:
        return True
    # Hidden posts stay readable to moderators (marked); deleted posts are gone for everyone.
    return post.state == PostState.hidden and is_moderator(user)


def can_edit_post(user: User | None, post: Post, moderates: bool = False) -> bool:
    """Authors edit their visible posts; moderators of the post's sector edit any post."""
    if user is None or post.state == PostState.deleted:
        return False
    if moderates:
        return True
    return post.author_id == user.id and post.state == PostState.visible


def can_delete_post(user: User | None, post: Post) -> bool:
    return user is not None and post.author_id == user.id and post.state == PostState.visible


def can_report_post(user: User | None, post: Post) -> bool:
    """Members report other members' visible posts; a hidden one is already in moderators' hands."""
    return user is not None and post.author_id != user.id and post.state == PostState.visible


def check_can_reply(user: User, thread: Thread, moderates: bool = False) -> None:
    if not can_reply(user, thread, moderates):
        raise Forbidden(_("This thread is locked: it takes no new replies."))


def check_can_see_post(user: User, post: Post) -> None:
    """A post whose text the viewer may not see is "not found" for body-level operations."""
    if not can_see_post_body(user, post):
        raise NotFound(_("No such post."))


def check_can_edit_post(user: User, post: Post, moderates: bool = False) -> None:
    if not can_edit_post(user, post, moderates):
        raise Forbidden(_("You can edit only your own posts."))


def check_can_delete_post(user: User, post: Post) -> None:
    if not can_delete_post(user, post):
        raise Forbidden(_("You can delete only your own posts."))
