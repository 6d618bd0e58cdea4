"""One read of a thread (`queries.thread_view`) behind both the thread page and the API: they show
the same posts, in the same order, with the same placeholders, on SQLite and PostgreSQL."""

import re

from fastapi.testclient import TestClient

from tests.factories import make_reply, make_thread, make_token, make_user, set_post_state


def test_the_page_and_the_api_show_the_same_posts(signed_in, database, expert, app):
    author = make_user(database, name="Ana Author")
    thread = make_thread(database, author, title="Counterfeit pesticides in transit")
    first = make_reply(database, expert, thread, "A first answer on transit goods.")
    nested = make_reply(database, author, thread, "A nested answer about seizure.", parent_id=first.id)
    second = make_reply(database, expert, thread, "A second answer, later hidden.")
    removed = make_reply(database, author, thread, "An answer its author deleted.", parent_id=first.id)
    set_post_state(database, second.id, "hidden", reason="Names a suspect")
    set_post_state(database, removed.id, "deleted")
    reader = make_user(database, name="Rui Reader")

    api = TestClient(app, base_url="https://testserver")
    api.headers["Authorization"] = f"Bearer {make_token(database, reader)}"
    detail = api.get(f"/api/v1/threads/{thread.id}").json()
    listed = api.get(f"/api/v1/threads/{thread.id}/posts").json()["items"]
    page = signed_in(reader).get(f"/t/{thread.id}").text

    opening = detail["posts"][0]
    assert opening["parent_id"] is None
    tree_order = [opening["id"], first.id, nested.id, removed.id, second.id]
    assert [p["id"] for p in detail["posts"]] == tree_order
    assert [p["id"] for p in listed] == tree_order
    assert [int(i) for i in re.findall(r'<article[^>]* id="post-(\d+)"', page)] == tree_order

    by_id = {p["id"]: p for p in detail["posts"]}
    assert by_id[nested.id]["body"] == "A nested answer about seizure."
    assert by_id[nested.id]["author"]["display_name"] == "Ana Author"
    assert by_id[nested.id]["author"]["handle"]
    # A hidden or deleted post is a placeholder for a reader, in both.
    assert by_id[second.id]["body"] is None and by_id[removed.id]["body"] is None
    assert "later hidden" not in page and "its author deleted" not in page
    assert "A nested answer about seizure." in page
