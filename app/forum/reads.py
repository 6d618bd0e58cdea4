"""The API's representations of forum objects (threads, posts, authors), shared by the forum's and
moderation's API routes: one shape for a thread or a post wherever the API returns it."""

from app.accounts.models import User
from app.forum import queries, urls
from app.forum.schemas import AuthorRead, InstrumentRead, JurisdictionRead, PostRead, TaxonRead, ThreadRead


def author_read(user: User | None) -> AuthorRead | None:
    return AuthorRead.model_validate(user) if user else None


def post_read(
    post, author: User | None, body_visible: bool, attachments: list | None = None, viewer: User | None = None
) -> PostRead:
    """To a viewer who may not see it, a hidden or deleted post is a placeholder: state kept,
    text and attachments null."""
    return PostRead(
        id=post.id,
        thread_id=post.thread_id,
        parent_id=post.parent_id,
        depth=post.depth,
        author=author_read(author),
        body=post.body if body_visible else None,
        body_html=post.body_html if body_visible else None,
        revision=post.revision,
        state=post.state,
        # The reason for hiding is for moderators (who see the post) and the post's own author.
        hidden_reason=post.hidden_reason
        if post.state == "hidden" and (body_visible or (viewer is not None and viewer.id == post.author_id))
        else None,
        created_at=post.created_at,
        edited_at=post.edited_at,
        attachments=[
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "kind": a.kind,
                "download_url": f"/api/v1/attachments/{a.id}/download",
            }
            for a in attachments or []
        ]
        if body_visible
        else None,
    )


def thread_read(view: queries.ThreadView, cls=ThreadRead, **extra):
    thread = view.thread
    return cls(
        id=thread.id,
        title=thread.title,
        slug=thread.slug,
        url=urls.thread_url(thread),
        sector=TaxonRead.model_validate(view.sector),
        jurisdictions=[JurisdictionRead.model_validate(j) for j in view.jurisdictions],
        instruments=[InstrumentRead.model_validate(i) for i in view.instruments],
        tags=view.tags,
        author=author_read(view.author),
        created_at=thread.created_at,
        last_activity_at=thread.last_activity_at,
        reply_count=thread.reply_count,
        locked=thread.locked,
        pinned=thread.pinned,
        unread=view.unread,
        **extra,
    )
