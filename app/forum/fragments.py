"""The thread page's posts, rendered once and kept in memory.

Rendering fifty posts through Jinja costs more than everything else on the thread page. A post's
HTML depends on the post (id, revision, state, place in the tree), its author's public profile and
its attachments, not on who reads it, so that part is kept in a bounded LRU map per worker process.
The key holds every value the HTML is made from: an edit (new revision), a hide, a delete, a profile
change or a new attachment gives a new key, so nothing is ever invalidated by hand and nothing stale
can be served. What depends on the reader (the "new" marks, the action links and forms with the
reader's CSRF token) is added per request with plain string formatting."""

from markupsafe import Markup, escape

from app.attachments import permissions as attachment_permissions
from app.cache import LRU
from app.forum import permissions
from app.i18n import _, ngettext

NEW_CLASS, NEW_BADGE = "\x00new-class\x00", "\x00new-badge\x00"


POSTS = LRU(20_000)  # about 2 KB each: some 40 MB per worker at most
THREAD_ROWS = LRU(20_000)  # about 1 KB each
UNREAD = "\x00unread\x00"


def _key(view, thread_id: int, flat: bool, max_indent: int, show_reason: bool) -> tuple:
    post, author = view.post, view.author
    return (
        post.id,
        post.revision,
        post.state,
        post.hidden_reason if post.state == "hidden" else "",
        post.parent_id,
        post.depth,
        post.created_at,
        thread_id,
        flat,
        max_indent,
        view.body_visible,
        show_reason,
        (author.id, author.display_name, author.organisation, author.country) if author else None,
        tuple((a.id, a.filename, a.kind, a.size, a.content_type) for a in view.attachments),
    )


def _render_static(env, view, key, body_html: str, thread_id, flat, max_indent, show_reason) -> tuple:
    html = env.get_template("forum/_post_static.html").render(
        post=view.post,
        body_html=body_html,
        author=view.author,
        attachments=view.attachments,
        body_visible=view.body_visible,
        show_reason=show_reason,
        thread_id=thread_id,
        depth=0 if flat else view.post.depth,
        flat=flat,
        max_indent=max_indent,
        marker_class=NEW_CLASS,
        marker_badge=NEW_BADGE,
    )
    head, rest = html.split(NEW_CLASS, 1)
    middle, tail = rest.split(NEW_BADGE, 1)
    parts = (head, middle, tail)
    POSTS.put(key, parts)
    return parts


def _action_labels() -> dict[str, Markup]:
    """The post actions' labels, translated and escaped once per page rather than once per post."""
    return {
        name: escape(text)
        for name, text in {
            "reply": _("Reply"),
            "quote": _("Quote"),
            "edit": _("Edit"),
            "attach": _("Attach documents"),
            "bookmark": _("Bookmark"),
            "unbookmark": _("Remove bookmark"),
            "report": _("Report"),
            "moderate": _("Moderate"),
            "hide_reason": _("Reason (the author sees it)"),
            "hide": _("Hide post"),
            "unhide": _("Unhide post"),
            "delete": _("Delete"),
            "delete_confirm": _("Delete this post? Its text will be gone from view."),
        }.items()
    }


# Stands for the post's id in actions rendered once for every post with the same buttons: a character
# autoescaping leaves alone and no template writes.
POST_ID = "\x1d"


def render_posts(
    env,
    views: list,
    *,
    thread,
    user,
    flat: bool,
    max_indent: int,
    can_moderate: bool,
    token: str,
    field: str,
    bodies,
) -> Markup:
    """The posts of a thread page as HTML: kept parts joined with this reader's parts. `bodies`
    loads the rendered Markdown of the posts not kept yet (post ids -> HTML), in one call."""
    show = [v.post.state == "hidden" and v.post.author_id == user.id for v in views]
    keys = [_key(v, thread.id, flat, max_indent, s) for v, s in zip(views, show, strict=True)]
    kept = [POSTS.get(key) for key in keys]
    missing = [v.post.id for v, parts in zip(views, kept, strict=True) if parts is None and v.body_visible]
    loaded = bodies(missing) if missing else {}
    for index, view in enumerate(views):
        if kept[index] is None:
            body_html = loaded.get(view.post.id, "")
            kept[index] = _render_static(
                env, view, keys[index], body_html, thread.id, flat, max_indent, show[index]
            )
    badge = f' · <span class="badge badge-new">{escape(_("new"))}</span>'
    template = env.get_template("forum/_post_actions.html")
    shared = {
        "labels": _action_labels(),
        "thread_id": thread.id,
        "can_reply": permissions.can_reply(user, thread, can_moderate),
        "can_moderate": can_moderate,
        "token": token,
        "field": field,
        "pid": POST_ID,
    }
    rendered: dict[tuple, str] = {}

    def actions(view) -> str:
        post = view.post
        flags = (
            permissions.can_edit_post(user, post, can_moderate),
            attachment_permissions.can_attach(user, post, can_moderate),
            permissions.can_report_post(user, post),
            permissions.can_delete_post(user, post),
            bool(view.bookmarked),
            post.state == "hidden",
        )
        html = rendered.get(flags)
        if html is None:
            can_edit, can_attach, can_report, can_delete, bookmarked, hidden = flags
            html = rendered[flags] = template.render(
                shared,
                can_edit=can_edit,
                can_attach=can_attach,
                can_report=can_report,
                can_delete=can_delete,
                bookmarked=bookmarked,
                hidden=hidden,
            )
        return html.replace(POST_ID, str(post.id))

    out = []
    for view, (head, middle, tail) in zip(views, kept, strict=True):
        out += [head, " post-new" if view.new else "", middle, badge if view.new else "", tail]
        if view.body_visible:
            out.append(actions(view))
        out.append("</article>\n")
    # Every piece is either autoescaped Jinja output or built here from integers and escaped labels.
    return Markup("".join(out))  # noqa: S704


# --- Thread lists ----------------------------------------------------------------------------------


def _row_key(view) -> tuple:
    thread, author = view.thread, view.author
    return (
        thread.id,
        thread.slug,
        thread.title,
        thread.pinned,
        thread.locked,
        thread.reply_count,
        thread.last_activity_at,
        view.sector,
        tuple(view.jurisdictions),
        tuple(view.instruments),
        tuple(view.tags),
        author.display_name if author else None,
    )


def render_thread_rows(env, views: list) -> Markup:
    """The rows of a thread list: kept per thread state (title, counts, taxonomy, author's name),
    with the reader's "N new" badge added per request."""
    template = None
    out = []
    for view in views:
        key = _row_key(view)
        parts = THREAD_ROWS.get(key)
        if parts is None:
            template = template or env.get_template("forum/_thread_row.html")
            parts = tuple(template.render(t=view, marker_unread=UNREAD).split(UNREAD, 1))
            THREAD_ROWS.put(key, parts)
        badge = ""
        if view.unread:
            label = escape(ngettext("%(num)d new", "%(num)d new", view.unread))
            badge = f'<span class="badge badge-new">{label}</span>'

        out += [parts[0], badge, parts[1]]
    return Markup("".join(out))  # noqa: S704  (autoescaped template output and an escaped label)
