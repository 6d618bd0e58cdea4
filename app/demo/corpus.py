"""What a planned demo corpus is made of: the taxonomy it draws on, the first free ids, and its rows."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.demo.text import Context, fill_template, key_sentence, post_body
from app.forum.models import (
    PostState,
)
from app.sanitize import render_markdown

EPOCH_END = datetime(2026, 11, 1)


SPAN_DAYS = 6 * 365


EPOCH_START = EPOCH_END - timedelta(days=SPAN_DAYS)


@dataclass(frozen=True)
class Taxonomy:
    """The rows of the taxonomy the corpus refers to, as read from the database."""

    sectors: list[tuple[int, str]]  # (id, slug)
    jurisdictions: list[tuple[int, str, str, str]]  # (id, code, name, kind)
    instruments: list[tuple[int, str, str]]  # (id, slug, short name)
    tags: dict[str, int]  # existing tags, name → id


@dataclass(frozen=True)
class StartIds:
    """The first id free in each table."""

    user: int = 1
    tag: int = 1
    thread: int = 1
    post: int = 1
    revision: int = 1


class PostPlan:
    __slots__ = (
        "author", "created", "depth", "edit", "hidden_reason", "id", "local", "ordinal", "parent", "path",
        "state", "thread",
    )  # fmt: skip

    def __init__(self, thread: int, local: int, parent: int, author: int, created: int):
        self.thread = thread  # index in Corpus.threads
        self.local = local  # position in its thread
        self.parent = parent  # ordinal of the parent post, -1 for an opening post
        self.author = author  # index in Corpus.users
        self.created = created  # seconds after EPOCH_START
        self.ordinal = 0  # position in the corpus (id order)
        self.id = 0
        self.path = ""
        self.depth = 0
        self.state = PostState.visible.value
        self.hidden_reason = ""
        # (seconds after EPOCH_START, editor index, reason, note template) for edited posts.
        self.edit: tuple[int, int, str, str] | None = None


@dataclass
class Corpus:
    seed: int
    users: list[dict]
    tags: list[dict]
    threads: list[dict]
    thread_jurisdictions: list[dict]
    thread_instruments: list[dict]
    thread_tags: list[dict]
    posts: list[PostPlan]
    revision_start: int
    contexts: list[Context] = field(repr=False, default_factory=list)

    def _text_rng(self, ordinal: int, stream: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + ordinal) * 4 + stream)

    def _context(self, post: PostPlan) -> Context:
        ctx = self.contexts[post.thread]
        if post.parent < 0:
            ctx.pname = ctx.phandle = ""
        else:
            parent_author = self.users[self.posts[post.parent].author]
            ctx.pname = parent_author["display_name"].split(" ")[0]
            ctx.phandle = parent_author["handle"]
        return ctx

    def key_sentence(self, post: PostPlan) -> tuple[str, str]:
        return key_sentence(self._text_rng(post.ordinal, 0), self._context(post), post.parent < 0)

    def post_body(self, post: PostPlan) -> str:
        """The Markdown of a post as first written (revision 1)."""
        key = self.key_sentence(post)
        quote = self.key_sentence(self.posts[post.parent])[1] if post.parent >= 0 else None
        ctx = self._context(post)  # again: quoting the parent's text reset it to the parent's
        return post_body(self._text_rng(post.ordinal, 1), ctx, post.parent < 0, key, quote)

    def iter_posts(self, render=render_markdown) -> Iterator[tuple[dict, list[dict]]]:
        """Each post's row (with its rendered HTML) and its revision rows, in id order."""
        revision_id = self.revision_start
        for post in self.posts:
            body = self.post_body(post)
            author_id = self.users[post.author]["id"]
            created = EPOCH_START + timedelta(seconds=post.created)
            revisions = [
                {
                    "id": revision_id,
                    "post_id": post.id,
                    "revision": 1,
                    "body": body,
                    "editor_id": author_id,
                    "reason": "",
                    "created_at": created,
                }
            ]
            revision_id += 1
            edited_at = None
            if post.edit is not None:
                edited, editor, reason, note = post.edit
                edited_at = EPOCH_START + timedelta(seconds=edited)
                ctx = self._context(post)
                body = body + "\n\n" + fill_template(self._text_rng(post.ordinal, 2), ctx, note)
                revisions.append(
                    {
                        "id": revision_id,
                        "post_id": post.id,
                        "revision": 2,
                        "body": body,
                        "editor_id": self.users[editor]["id"],
                        "reason": reason,
                        "created_at": edited_at,
                    }
                )
                revision_id += 1
            row = {
                "id": post.id,
                "thread_id": self.threads[post.thread]["id"],
                "parent_id": self.posts[post.parent].id if post.parent >= 0 else None,
                "author_id": author_id,
                "body": body,
                "body_html": render(body),
                "revision": 2 if post.edit else 1,
                "state": post.state,
                "hidden_reason": post.hidden_reason if post.state == PostState.hidden else "",
                "created_at": created,
                "edited_at": edited_at,
                "path": post.path,
                "depth": post.depth,
            }
            yield row, revisions

    @property
    def revision_count(self) -> int:
        return len(self.posts) + sum(1 for p in self.posts if p.edit is not None)
