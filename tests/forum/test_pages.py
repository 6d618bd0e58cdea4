"""The discussion pages as a member without JavaScript uses them: plain forms, 303s, re-rendered errors."""

import re

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.conftest import csrf_from
from tests.factories import make_reply, make_thread, make_user, set_post_state, set_thread

NEW_THREAD = {
    "title": "Fake cigarettes sold through a bonded warehouse",
    "sector": "tobacco",
    "jurisdictions": ["FR", "european-union"],
    "instruments": ["fctc-protocol"],
    "tags": "excise, warehouses",
    "body": "The **customs** court found…",
}


def test_new_thread_preview_draft_and_publish(signed_in, expert):
    client = signed_in(expert)
    token = csrf_from(client.get("/threads/new").text)
    preview = client.post("/threads/new", data={**NEW_THREAD, "action": "preview", "csrf_token": token})
    assert preview.status_code == 200 and "<strong>customs</strong>" in preview.text
    assert 'value="Fake cigarettes sold through a bonded warehouse"' in preview.text  # input kept
    client.post("/threads/new", data={**NEW_THREAD, "action": "save_draft", "csrf_token": token})
    restored = client.get("/threads/new")
    assert (
        "Your saved draft was restored" in restored.text and "The **customs** court found…" in restored.text
    )
    assert '<option value="FR" selected>' in restored.text
    published = client.post(
        "/threads/new", data={**NEW_THREAD, "action": "publish", "csrf_token": token}, follow_redirects=False
    )
    assert published.status_code == 303
    page = client.get(published.headers["location"])
    assert "<h1>Fake cigarettes sold through a bonded warehouse</h1>" in page.text
    assert "France" in page.text and "FCTC Protocol" in page.text and "#excise" in page.text
    assert "Your saved draft was restored" not in client.get("/threads/new").text


def test_new_thread_errors_keep_the_input(signed_in, expert):
    client = signed_in(expert)
    token = csrf_from(client.get("/threads/new").text)
    response = client.post(
        "/threads/new",
        data={**NEW_THREAD, "jurisdictions": [], "sector": "", "action": "publish", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "Choose a sector" in response.text and "Choose at least one jurisdiction" in response.text
    assert "The **customs** court found…" in response.text


def test_reply_quote_and_nesting_on_the_thread_page(signed_in, database, expert, moderator):
    thread = make_thread(database, moderator, body="Opening analysis")
    answer = make_reply(database, moderator, thread, "The court erred.\n\nSecond paragraph.")
    client = signed_in(expert)
    form = client.get(f"/t/{thread.id}/reply?parent={answer.id}&quote=1")
    assert "Moe Moderator wrote:\n&gt; The court erred.\n&gt;\n&gt; Second paragraph." in form.text
    response = client.post(
        f"/t/{thread.id}/reply",
        data={"body": "Respectfully, no.", "parent_id": str(answer.id), "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and re.fullmatch(
        rf"/t/{thread.id}#post-\d+", response.headers["location"]
    )
    page = client.get(f"/t/{thread.id}")
    nested = re.search(
        r'<article class="post depth-(\d)[^"]*" id="post-(\d+)"', page.text.split("Respectfully")[0][-600:]
    )
    assert nested and nested.group(1) == "2"


def test_empty_reply_is_refused_and_nothing_posted(signed_in, database, expert):
    thread = make_thread(database, expert)
    client = signed_in(expert)
    response = client.post(
        f"/t/{thread.id}/reply",
        data={"body": "   ", "csrf_token": csrf_from(client.get(f"/t/{thread.id}").text)},
    )
    assert response.status_code == 422 and "the post is empty" in response.text
    assert "0 replies" in client.get(f"/t/{thread.id}").text


def test_locked_thread_shows_no_reply_form_and_refuses_a_post(signed_in, database, expert):
    thread = make_thread(database, expert)
    set_thread(database, thread.id, locked=True)
    client = signed_in(expert)
    page = client.get(f"/t/{thread.id}")
    assert "Post reply" not in page.text and "locked" in page.text
    response = client.post(
        f"/t/{thread.id}/reply", data={"body": "Let me in", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 403


def test_stale_edit_page_gives_both_texts_back(signed_in, database, expert):
    thread = make_thread(database, expert, body="Original text")
    client = signed_in(expert)
    post_id = int(re.search(r"/posts/(\d+)/edit", client.get(f"/t/{thread.id}").text).group(1))
    edit_form = client.get(f"/posts/{post_id}/edit")
    token = csrf_from(edit_form.text)
    first = client.post(
        f"/posts/{post_id}/edit",
        data={"body": "Edited in another tab", "base_revision": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert first.status_code == 303
    stale = client.post(
        f"/posts/{post_id}/edit",
        data={"body": "My careful rewrite", "base_revision": "1", "csrf_token": token},
    )
    assert stale.status_code == 409
    assert "Edited in another tab" in stale.text and stale.text.count("My careful rewrite") >= 2
    assert 'name="base_revision" value="2"' in stale.text
    diff = client.get(f"/posts/{post_id}/revisions")
    assert 'class="diff-removed"' in diff.text and 'class="diff-added"' in diff.text
    assert "Original text" in diff.text and "Edited in another tab" in diff.text


def test_delete_own_post_from_the_page(signed_in, database, expert):
    thread = make_thread(database, expert)
    post = make_reply(database, expert, thread, "Posted too fast")
    client = signed_in(expert)
    page = client.get(f"/t/{thread.id}")
    client.post(f"/posts/{post.id}/delete", data={"csrf_token": csrf_from(page.text)})
    page = client.get(f"/t/{thread.id}")
    assert "Posted too fast" not in page.text and "Deleted by its author" in page.text


def test_hidden_post_text_never_reaches_an_expert_page(signed_in, database, expert, moderator):
    thread = make_thread(database, moderator)
    post = make_reply(database, moderator, thread, "Witness address: 12 Rue X")
    set_post_state(database, post.id, "hidden", "confidential")
    client = signed_in(expert)
    for path in [
        f"/t/{thread.id}",
        f"/t/{thread.id}?view=flat",
        f"/t/{thread.id}/reply?parent={post.id}&quote=1",
        f"/posts/{post.id}/revisions",
        f"/posts/{post.id}/edit",
        "/bookmarks",
    ]:
        assert "12 Rue X" not in client.get(path).text, path


def test_bookmark_from_the_page(signed_in, database, expert):
    thread = make_thread(database, expert, title="Bookmarked thread")
    client = signed_in(expert)
    page = client.get(f"/t/{thread.id}")
    post_id = re.search(r'action="/posts/(\d+)/bookmark"', page.text).group(1)
    client.post(f"/posts/{post_id}/bookmark", data={"on": "1", "csrf_token": csrf_from(page.text)})
    assert "Bookmarked thread" in client.get("/bookmarks").text


def test_lists_show_pinned_first_and_new_counts(signed_in, database, expert, moderator):
    old = make_thread(database, moderator, title="Old pinned guidance", sector="tobacco")
    make_thread(database, moderator, title="Fresh question", sector="tobacco")
    set_thread(database, old.id, pinned=True)
    client = signed_in(expert)
    page = client.get("/s/tobacco").text
    assert page.index("Old pinned guidance") < page.index("Fresh question")
    assert "1 new" in page
    home = client.get("/").text
    assert "Tobacco" in home and "Fresh question" in home


@pytest.mark.parametrize("path", ["/s/nope", "/j/atlantis", "/i/nope", "/t/999999", "/posts/999999/edit"])
def test_unknown_things_are_friendly_404_pages(signed_in, expert, path):
    response = signed_in(expert).get(path)
    assert response.status_code == 404 and "<html" in response.text


def test_coverage_page_links_cells_to_filtered_lists(signed_in, database, expert):
    make_thread(database, expert, sector="firearms", jurisdictions=["BR"])
    page = signed_in(expert).get("/coverage").text
    assert 'href="/threads?sector=firearms&amp;jurisdiction=BR"' in page


def test_thread_page_issues_the_same_number_of_queries_for_10_and_200_posts(
    signed_in, database, engine, expert
):
    small = make_thread(database, expert, title="Small")
    large = make_thread(database, expert, title="Large")
    other = make_user(database)
    for thread, count in ((small, 10), (large, 200)):
        parent = None
        for number in range(count - 1):
            post = make_reply(
                database,
                other if number % 2 else expert,
                thread,
                f"Reply {number}",
                parent_id=parent.id if parent and number % 3 else None,
            )
            parent = post
    client = signed_in(expert)

    def queries(path: str) -> int:
        client.get(path)  # the first view writes the read marker; measure the steady state
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))])

    small_count, large_count = queries(f"/t/{small.id}"), queries(f"/t/{large.id}")
    assert small_count > 5  # the listener sees the page's queries
    assert small_count == large_count


def test_kept_posts_are_never_served_stale(signed_in, database, expert, moderator):
    """The thread page keeps rendered posts; an edit, a profile change, a hide and a moderator's
    view each show at once what is now true."""
    from sqlalchemy import update

    from app.accounts.models import User

    thread = make_thread(database, expert, body="Opening analysis")
    reply = make_reply(database, moderator, thread, "First words of the reply")
    client = signed_in(moderator)
    assert "First words of the reply" in client.get(f"/t/{thread.id}").text
    edit = client.get(f"/posts/{reply.id}/edit")
    client.post(
        f"/posts/{reply.id}/edit",
        data={"body": "Second words of the reply", "base_revision": "1", "csrf_token": csrf_from(edit.text)},
    )
    page = client.get(f"/t/{thread.id}").text
    assert "Second words of the reply" in page and "First words of the reply" not in page
    with database.unit_of_work() as session:
        session.execute(update(User).where(User.id == moderator.id).values(display_name="Renamed Moderator"))
    assert "Renamed Moderator" in client.get(f"/t/{thread.id}").text
    set_post_state(database, reply.id, "hidden", "witness name")
    page = client.get(f"/t/{thread.id}").text  # a moderator still reads it, with the notice
    assert "Second words of the reply" in page and "Hidden by a moderator: witness name" in page
    client = signed_in(expert)
    page = client.get(f"/t/{thread.id}").text
    assert "Second words of the reply" not in page and "Hidden by a moderator." in page
    assert "witness name" not in page and "Moderate" not in page


def test_kept_posts_carry_nothing_of_another_reader(signed_in, database, expert):
    """Actions and CSRF tokens are the reader's own, although the posts were kept from a first
    reader's visit."""
    other = make_user(database, name="Second Expert")
    thread = make_thread(database, expert, body="Opening analysis")
    reply = make_reply(database, expert, thread, "A reply by the first expert")
    first = signed_in(expert).get(f"/t/{thread.id}").text
    assert f'href="/posts/{reply.id}/edit"' in first and f'action="/posts/{reply.id}/delete"' in first
    second = signed_in(other).get(f"/t/{thread.id}").text
    assert (
        f'href="/posts/{reply.id}/edit"' not in second and f'action="/posts/{reply.id}/delete"' not in second
    )
    assert f'href="/posts/{reply.id}/report"' in second and "A reply by the first expert" in second
    assert csrf_from(first) != csrf_from(second)
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', second)) == {csrf_from(second)}


def test_kept_counts_and_names_follow_every_change(signed_in, database, expert, moderator, admin):
    """The home counts, the coverage table and the taxonomy names are kept between requests; a new
    thread, a move and a rename each show on the next request."""
    from app.forum import curation
    from app.taxonomy import service as taxonomy
    from app.taxonomy.models import Sector

    first = make_thread(database, expert, sector="firearms", jurisdictions=["BR"])
    client = signed_in(expert)
    cell = 'href="/threads?sector=firearms&amp;jurisdiction=BR">{}</a>'
    assert cell.format(1) in client.get("/coverage").text
    make_thread(database, expert, sector="firearms", jurisdictions=["BR"])
    assert cell.format(2) in client.get("/coverage").text
    with database.unit_of_work() as session:
        curation.move_thread(session, moderator, first.id, "tobacco", reason="Cigarettes, not guns")
    page = client.get("/coverage").text
    assert cell.format(1) in page and 'href="/threads?sector=tobacco&amp;jurisdiction=BR">1</a>' in page
    with database.unit_of_work() as session:
        tobacco = session.exec(select(Sector).where(Sector.slug == "tobacco")).one()
        taxonomy.rename_entry(session, admin, "sector", tobacco.id, "Tobacco and nicotine products")
    assert "Tobacco and nicotine products" in client.get(f"/t/{first.id}").text
    assert "Tobacco and nicotine products" in client.get("/").text


def test_kept_thread_rows_follow_replies_locks_and_each_readers_new_count(
    signed_in, database, expert, moderator
):
    thread = make_thread(database, expert, title="Rows are kept", sector="tobacco")
    other = make_user(database, name="Second Expert")
    client = signed_in(expert)
    row = re.compile(r'<li class="thread-item">.*?</p>\s*</li>', re.S)

    def tobacco_row() -> str:
        return next(r for r in row.findall(client.get("/s/tobacco").text) if "Rows are kept" in r)

    assert "0 replies" in tobacco_row() and "Locked" not in tobacco_row()
    make_reply(database, other, thread, "First answer")
    assert "1 reply" in tobacco_row() and "1 new" in tobacco_row()
    set_thread(database, thread.id, locked=True)
    assert "Locked" in tobacco_row()
    client.get(f"/t/{thread.id}")  # read it: the reader's own count drops, the kept row stays
    assert "1 reply" in tobacco_row() and "new" not in tobacco_row()
    client = signed_in(other)
    assert "new" not in tobacco_row()  # the replier has read up to their own reply


@pytest.mark.parametrize("view", ["tree", "flat"])
def test_thread_page_continues_on_a_next_page_without_gaps_or_repeats(signed_in, database, expert, view):
    from app.forum.queries import THREAD_PAGE_POSTS

    thread = make_thread(database, expert, body="Opening analysis")
    parent = None
    for number in range(THREAD_PAGE_POSTS + 5):
        post = make_reply(database, expert, thread, f"Reply number {number}.", parent_id=parent)
        parent = post.id if number % 4 else None
    client = signed_in(expert)
    seen, path = [], f"/t/{thread.id}?view={view}"
    for _page in range(3):
        page = client.get(path).text
        seen += re.findall(r'<article class="post[^"]*" id="post-(\d+)"', page)
        more = re.search(r'<a href="\?([^"]+)" rel="next">', page)
        if not more:
            break
        path = f"/t/{thread.id}?" + more.group(1).replace("&amp;", "&")
    assert len(seen) == THREAD_PAGE_POSTS + 6 and len(set(seen)) == len(seen)
    if view == "flat":
        assert [int(i) for i in seen] == sorted(int(i) for i in seen)
