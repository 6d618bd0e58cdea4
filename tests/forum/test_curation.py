"""Moderators' verbs on threads and posts (app/forum/curation.py), on SQLite and PostgreSQL: hide and
unhide, lock, pin, move, retag, merge and split."""

from sqlmodel import func, select

from app.forum.models import Post
from tests.factories import audit_entries, make_reply, make_thread, make_user, token_client


def _tree(database, thread_id):
    with database.unit_of_work(write=False) as session:
        posts = session.exec(select(Post).where(Post.thread_id == thread_id).order_by(Post.path)).all()
    return [(p.body, p.depth) for p in posts], posts


def test_hide_and_unhide_keep_the_reply_count(app, database, scene, moderator):
    client = token_client(app, database, moderator)
    thread_id, post_id = scene["thread"].id, scene["second"].id
    assert client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": "x"}).json()["changed"] is True
    assert client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": "x"}).json()["changed"] is False
    assert client.get(f"/api/v1/threads/{thread_id}").json()["reply_count"] == 3
    assert client.post(f"/api/v1/posts/{post_id}/unhide", json={}).json()["changed"] is True
    assert client.get(f"/api/v1/threads/{thread_id}").json()["reply_count"] == 4
    assert client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": ""}).status_code == 422
    assert [e.action for e in audit_entries(database)] == ["post.hide", "post.unhide"]


def test_lock_pin_move_and_retag(app, database, scene, moderator, admin):
    client = token_client(app, database, moderator)
    thread_id = scene["thread"].id
    assert (
        client.post(f"/api/v1/threads/{thread_id}/lock", json={"reason": "Resolved"}).json()["locked"] is True
    )
    assert client.post(f"/api/v1/threads/{thread_id}/lock", json={}).status_code == 200  # idempotent
    assert client.post(f"/api/v1/threads/{thread_id}/pin", json={"site_wide": True}).status_code == 403
    assert client.post(f"/api/v1/threads/{thread_id}/pin", json={}).json()["pinned"] is True
    moved = client.post(
        f"/api/v1/threads/{thread_id}/move", json={"sector": "alcohol-excisable-goods"}
    ).json()
    assert moved["sector"]["slug"] == "alcohol-excisable-goods" and moved["pinned"] is False
    retagged = client.post(
        f"/api/v1/threads/{thread_id}/taxonomy",
        json={
            "jurisdictions": ["FR", "european-union"],
            "instruments": ["fctc-protocol"],
            "tags": ["Excise"],
        },
    ).json()
    assert [j["code"] for j in retagged["jurisdictions"]] == ["european-union", "FR"] and retagged[
        "tags"
    ] == ["excise"]
    site_pin = token_client(app, database, admin).post(
        f"/api/v1/threads/{thread_id}/pin", json={"site_wide": True}
    )
    assert site_pin.json()["pinned"] is True
    assert [e.action for e in audit_entries(database)] == [
        "thread.lock",
        "thread.pin",
        "thread.move",
        "thread.taxonomy",
        "thread.pin",
    ]


def test_merge_moves_every_post_keeps_nesting_and_redirects(
    app, database, signed_in, scene, expert, moderator
):
    target = make_thread(
        database, moderator, title="Main thread on excise", sector="tobacco", body="Main opening"
    )
    make_reply(database, expert, target, "Main reply")
    with database.unit_of_work(write=False) as session:
        total = session.exec(select(func.count()).select_from(Post)).one()
    client = token_client(app, database, moderator)
    response = client.post(f"/api/v1/threads/{scene['thread'].id}/merge", json={"target_id": target.id})
    assert response.status_code == 200 and response.json()["reply_count"] == 6
    shape, posts = _tree(database, target.id)
    # Children sort by id: the merged (older) posts come before the target's own reply.
    assert shape == [
        ("Main opening", 0),
        ("An analysis of the **offence** charged.", 1),
        ("First reply", 2),
        ("Answer to the first", 3),
        ("Deeper still", 4),
        ("Another branch", 2),
        ("Main reply", 1),
    ]
    by_id = {p.id: p for p in posts}
    for post in posts:
        if post.parent_id:
            assert by_id[post.parent_id].depth == post.depth - 1 and post.path.startswith(
                by_id[post.parent_id].path
            )
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(Post)).one() == total
        assert (
            session.exec(
                select(func.count()).select_from(Post).where(Post.thread_id == scene["thread"].id)
            ).one()
            == 0
        )
    page = signed_in(expert)
    old = page.get(f"/t/{scene['thread'].id}", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == f"/t/{target.id}"
    assert scene["thread"].title not in [t["title"] for t in client.get("/api/v1/threads").json()["items"]]
    assert len(audit_entries(database, "thread.merge")) == 1


def test_split_moves_chosen_posts_with_their_replies(app, database, scene, moderator):
    client = token_client(app, database, moderator)
    thread = scene["thread"]
    response = client.post(
        f"/api/v1/threads/{thread.id}/split",
        json={"post_ids": [scene["second"].id, scene["other"].id], "title": "Split: the second question"},
    )
    assert response.status_code == 201
    new = response.json()
    assert new["reply_count"] == 2 and new["sector"]["slug"] == "tobacco"
    assert [j["code"] for j in new["jurisdictions"]] == ["FR"]
    new_shape, new_posts = _tree(database, new["id"])
    assert new_shape == [("Answer to the first", 0), ("Deeper still", 1), ("Another branch", 1)]
    old_shape, _posts = _tree(database, thread.id)
    assert old_shape == [("An analysis of the **offence** charged.", 0), ("First reply", 1)]
    assert client.get(f"/api/v1/threads/{thread.id}").json()["reply_count"] == 1
    ids = [p.id for p in new_posts]
    assert len(ids) == len(set(ids)) == 3
    bad = client.post(f"/api/v1/threads/{thread.id}/split", json={"post_ids": [99999999], "title": "x"})
    assert bad.status_code == 422
    opening = client.get(f"/api/v1/threads/{thread.id}").json()["posts"][0]["id"]
    assert (
        client.post(
            f"/api/v1/threads/{thread.id}/split", json={"post_ids": [opening], "title": "x"}
        ).status_code
        == 422
    )


def test_a_scoped_moderator_cannot_edit_or_reply_to_locked_threads_elsewhere(app, database, scene, admin):
    scoped = make_user(database, role="moderator")
    token_client(app, database, admin).post(f"/api/v1/users/{scoped.id}/sectors", json={"sectors": ["fuel"]})
    client = token_client(app, database, scoped)
    post = scene["first"]
    response = client.patch(f"/api/v1/posts/{post.id}", json={"body": "Rewritten", "base_revision": 1})
    assert response.status_code == 403
    token_client(app, database, admin).post(f"/api/v1/threads/{scene['thread'].id}/lock", json={})
    assert client.post(f"/api/v1/threads/{scene['thread'].id}/posts", json={"body": "x"}).status_code == 403


def test_a_merged_thread_takes_no_replies(app, database, scene, expert, moderator):
    target = make_thread(database, moderator, sector="tobacco", title="Target")
    client = token_client(app, database, moderator)
    client.post(f"/api/v1/threads/{scene['thread'].id}/merge", json={"target_id": target.id})
    response = token_client(app, database, expert).post(
        f"/api/v1/threads/{scene['thread'].id}/posts", json={"body": "lost reply"}
    )
    assert response.status_code == 404


def test_the_moderator_tools_offer_the_taxonomy_with_the_threads_own_chosen(
    signed_in, database, moderator, expert
):
    thread = make_thread(database, expert, sector="tobacco", jurisdictions=["FR"], instruments=["untoc"])
    page = signed_in(moderator).get(f"/t/{thread.id}").text
    assert '<option value="tobacco" selected>' in page
    assert '<option value="FR" selected>' in page and '<option value="KE">' in page
    assert 'id="retag-untoc" name="instruments" value="untoc" checked' in page
    assert 'id="retag-jurisdictions"' not in signed_in(expert).get(f"/t/{thread.id}").text
