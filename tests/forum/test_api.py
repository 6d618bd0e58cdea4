"""Threads and posts through the JSON API, on SQLite and PostgreSQL."""

import pytest
from sqlmodel import func, select

from app.forum.models import Post, PostRevision, Thread
from tests.factories import make_reply, make_thread, make_token, make_user, set_post_state, set_thread


@pytest.fixture
def api(anonymous, database, expert):
    anonymous.headers["Authorization"] = f"Bearer {make_token(database, expert)}"
    return anonymous


def _as(client, database, user):
    from fastapi.testclient import TestClient

    other = TestClient(client.app, base_url="https://testserver")
    other.headers["Authorization"] = f"Bearer {make_token(database, user)}"
    return other


def _count(database, model) -> int:
    with database.unit_of_work(write=False) as session:
        return session.exec(select(func.count()).select_from(model)).one()


THREAD = {
    "title": "Is selling counterfeit pesticide online a fraud or a regulatory offence?",
    "body": "The court in **Nairobi** held…\n\n| Count | Sentence |\n|---|---|\n| 1 | 3 years |",
    "sector": "pesticides-agrochemicals",
    "jurisdictions": ["ke", "African-Union"],
    "instruments": ["rotterdam"],
    "tags": ["Online Sales ", "sentencing", "online sales"],
}


def test_taxonomy_lists_use_stable_keys(api):
    sectors = api.get("/api/v1/sectors").json()["items"]
    assert len(sectors) == 14
    tobacco = next(s for s in sectors if s["slug"] == "tobacco")
    assert tobacco["name"] == "Tobacco" and tobacco["thread_count"] == 0
    jurisdictions = {j["code"]: j for j in api.get("/api/v1/jurisdictions").json()["items"]}
    assert jurisdictions["FR"]["name"] == "France" and jurisdictions["FR"]["kind"] == "country"
    assert jurisdictions["european-union"]["kind"] == "region"
    assert len([j for j in jurisdictions.values() if j["kind"] == "country"]) >= 249
    instruments = {i["slug"] for i in api.get("/api/v1/instruments").json()["items"]}
    assert {"untoc", "fctc-protocol", "medicrime", "cites"} <= instruments


def test_create_thread_answers_201_with_the_thread(api, expert):
    response = api.post("/api/v1/threads", json=THREAD)
    assert response.status_code == 201
    thread = response.json()
    assert thread["sector"]["slug"] == "pesticides-agrochemicals"
    assert [j["code"] for j in thread["jurisdictions"]] == ["african-union", "KE"]
    assert [i["slug"] for i in thread["instruments"]] == ["rotterdam"]
    assert thread["tags"] == ["online sales", "sentencing"]
    assert thread["reply_count"] == 0 and thread["locked"] is False and thread["pinned"] is False
    assert thread["author"]["id"] == expert.id and thread["url"].startswith(f"/t/{thread['id']}/")
    detail = api.get(f"/api/v1/threads/{thread['id']}").json()
    opening = detail["posts"][0]
    assert opening["parent_id"] is None and opening["depth"] == 0 and opening["state"] == "visible"
    assert "<strong>Nairobi</strong>" in opening["body_html"] and "<table>" in opening["body_html"]
    assert opening["body"] == THREAD["body"] and opening["revision"] == 1
    assert detail["posts_next_cursor"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"body": ""}, "body"),
        ({"sector": "no-such-sector"}, "sector"),
        ({"jurisdictions": []}, "jurisdictions"),
        ({"jurisdictions": ["KE", "atlantis"]}, "jurisdictions"),
        ({"instruments": ["magna-carta"]}, "instruments"),
        ({"tags": [f"tag {n}" for n in range(11)]}, "tags"),
    ],
)
def test_invalid_thread_is_refused_with_field_errors_and_nothing_written(api, database, change, field):
    before = (_count(database, Thread), _count(database, Post))
    response = api.post("/api/v1/threads", json={**THREAD, **change})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert (_count(database, Thread), _count(database, Post)) == before


def test_replies_nest_and_come_back_in_tree_order(api, database, expert, moderator):
    thread = make_thread(database, expert)
    first = api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "First answer"}).json()
    other = _as(api, database, moderator)
    nested = other.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": "On that", "parent_id": first["id"]}
    )
    assert nested.status_code == 201
    second = api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Second answer"}).json()
    deeper = api.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": "Deeper", "parent_id": nested.json()["id"]}
    ).json()
    detail = api.get(f"/api/v1/threads/{thread.id}").json()
    shape = [(p["body"], p["depth"]) for p in detail["posts"]]
    assert shape == [
        ("An analysis of the **offence** charged.", 0),
        ("First answer", 1),
        ("On that", 2),
        ("Deeper", 3),
        ("Second answer", 1),
    ]
    opening_id = detail["posts"][0]["id"]
    assert first["parent_id"] == opening_id and second["parent_id"] == opening_id
    assert deeper["parent_id"] == nested.json()["id"]
    assert detail["reply_count"] == 4
    flat = api.get(f"/api/v1/threads/{thread.id}/posts?flat=true").json()["items"]
    assert [p["body"] for p in flat][1:] == ["First answer", "On that", "Second answer", "Deeper"]


def test_reply_to_a_post_of_another_thread_is_refused(api, database, expert):
    one, two = make_thread(database, expert), make_thread(database, expert, title="Another thread")
    foreign = make_reply(database, expert, two)
    response = api.post(f"/api/v1/threads/{one.id}/posts", json={"body": "x", "parent_id": foreign.id})
    assert response.status_code == 422 and "parent_id" in response.json()["errors"]


def test_replying_to_a_locked_thread_is_403(api, database, expert, moderator):
    thread = make_thread(database, expert)
    set_thread(database, thread.id, locked=True)
    before = _count(database, Post)
    response = api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Too late"})
    assert response.status_code == 403 and response.json()["detail"]
    assert _count(database, Post) == before
    # A moderator can still explain the lock.
    assert (
        _as(api, database, moderator)
        .post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Locked: see the new thread."})
        .status_code
        == 201
    )


def test_unknown_thread_is_404(api):
    assert api.get("/api/v1/threads/999999").status_code == 404
    assert api.post("/api/v1/threads/999999/posts", json={"body": "x"}).status_code == 404


def test_stale_edit_is_409_and_nothing_is_lost(api, database, expert):
    thread = make_thread(database, expert, body="Version one")
    post_id = api.get(f"/api/v1/threads/{thread.id}").json()["posts"][0]["id"]
    first = api.patch(
        f"/api/v1/posts/{post_id}",
        json={"body": "Version two", "base_revision": 1, "reason": "added the holding"},
    )
    assert first.status_code == 200 and first.json()["revision"] == 2
    stale = api.patch(
        f"/api/v1/posts/{post_id}", json={"body": "My version from revision one", "base_revision": 1}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["detail"] and body["rejected"] == "My version from revision one"
    assert body["current"]["body"] == "Version two" and body["current"]["revision"] == 2
    revisions = api.get(f"/api/v1/posts/{post_id}/revisions").json()["items"]
    assert [(r["revision"], r["body"], r["reason"]) for r in revisions] == [
        (1, "Version one", ""),
        (2, "Version two", "added the holding"),
    ]
    assert revisions[0]["author"]["id"] == expert.id


def test_only_the_author_edits_and_deletes(api, database, expert):
    other = make_user(database)
    thread = make_thread(database, other)
    post = make_reply(database, other, thread, "Their words")
    assert (
        api.patch(f"/api/v1/posts/{post.id}", json={"body": "Mine now", "base_revision": 1}).status_code
        == 403
    )
    assert api.delete(f"/api/v1/posts/{post.id}").status_code == 403
    with database.unit_of_work(write=False) as session:
        assert session.get(Post, post.id).body == "Their words"


def test_deleting_a_post_keeps_the_tree_and_hides_the_text(api, database, expert):
    thread = make_thread(database, expert)
    mine = make_reply(database, expert, thread, "Regret this")
    child = make_reply(database, make_user(database), thread, "Answer to it", parent_id=mine.id)
    response = api.delete(f"/api/v1/posts/{mine.id}")
    assert response.status_code == 200 and response.json()["state"] == "deleted"
    detail = api.get(f"/api/v1/threads/{thread.id}").json()
    placeholder = next(p for p in detail["posts"] if p["id"] == mine.id)
    assert (
        placeholder["body"] is None and placeholder["body_html"] is None and placeholder["state"] == "deleted"
    )
    assert next(p for p in detail["posts"] if p["id"] == child.id)["parent_id"] == mine.id
    assert detail["reply_count"] == 1
    assert api.get(f"/api/v1/posts/{mine.id}/revisions").status_code == 404


def test_an_expert_never_reads_a_hidden_post_but_a_moderator_does(api, database, expert, moderator):
    thread = make_thread(database, moderator)
    secret = make_reply(database, moderator, thread, "Name of the undercover officer")
    set_post_state(database, secret.id, "hidden", "confidential information")
    detail = api.get(f"/api/v1/threads/{thread.id}").json()
    hidden = next(p for p in detail["posts"] if p["id"] == secret.id)
    assert hidden["state"] == "hidden" and hidden["body"] is None and hidden["attachments"] is None
    assert "undercover" not in api.get(f"/api/v1/threads/{thread.id}").text
    assert api.get(f"/api/v1/posts/{secret.id}/revisions").status_code == 404
    assert (
        api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "x", "parent_id": secret.id}).status_code
        == 422
    )
    assert api.put(f"/api/v1/posts/{secret.id}/bookmark").status_code == 404
    as_moderator = _as(api, database, moderator)
    assert "undercover" in as_moderator.get(f"/api/v1/threads/{thread.id}").text


def test_thread_list_is_keyset_paginated_with_pinned_first(api, database, expert):
    threads = [make_thread(database, expert, title=f"Thread {n}") for n in range(7)]
    set_thread(database, threads[2].id, pinned=True, pinned_globally=True)
    seen, cursor = [], None
    while True:
        page = api.get(
            "/api/v1/threads", params={"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [item["title"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Thread 2", "Thread 6", "Thread 5", "Thread 4", "Thread 3", "Thread 1", "Thread 0"]
    assert api.get("/api/v1/threads", params={"cursor": "garbage!"}).status_code == 400


def test_thread_list_filters(api, database, expert):
    make_thread(
        database,
        expert,
        title="Tobacco in France",
        sector="tobacco",
        jurisdictions=["FR"],
        instruments=["fctc-protocol"],
        tags=["excise"],
    )
    make_thread(database, expert, title="Pesticides in Kenya", jurisdictions=["KE"])

    def titles(**params):
        return [t["title"] for t in api.get("/api/v1/threads", params=params).json()["items"]]

    assert titles(sector="tobacco") == ["Tobacco in France"]
    assert titles(jurisdiction="fr") == ["Tobacco in France"]
    assert titles(instrument="fctc-protocol") == ["Tobacco in France"]
    assert titles(tag="EXCISE") == ["Tobacco in France"]
    assert titles(tag="nothing") == []
    assert api.get("/api/v1/threads", params={"sector": "nope"}).status_code == 404


def test_unread_counts_follow_what_a_member_has_read(signed_in, api, database, expert, moderator):
    thread = make_thread(database, moderator)
    reader = signed_in(expert)
    assert api.get("/api/v1/threads").json()["items"][0]["unread"] == 1
    reader.get(f"/t/{thread.id}")
    assert api.get("/api/v1/threads").json()["items"][0]["unread"] == 0
    make_reply(database, moderator, thread, "News")
    make_reply(database, moderator, thread, "More news")
    assert api.get("/api/v1/threads").json()["items"][0]["unread"] == 2


def test_drafts_are_kept_on_the_server(api, database, expert):
    thread = make_thread(database, expert)
    key = f"reply:{thread.id}"
    assert api.put(f"/api/v1/drafts/{key}", json={"body": "Half an analysis"}).status_code == 200
    assert api.get(f"/api/v1/drafts/{key}").json()["body"] == "Half an analysis"
    assert api.put("/api/v1/drafts/../etc", json={"body": "x"}).status_code in (400, 404)
    api.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "The whole analysis"})
    assert api.get(f"/api/v1/drafts/{key}").json()["body"] == ""


def test_bookmarks(api, database, expert):
    thread = make_thread(database, expert)
    post = make_reply(database, expert, thread, "Worth keeping")
    assert api.put(f"/api/v1/posts/{post.id}/bookmark").status_code == 204
    assert api.put(f"/api/v1/posts/{post.id}/bookmark").status_code == 204  # idempotent
    items = api.get("/api/v1/bookmarks").json()["items"]
    assert [i["post_id"] for i in items] == [post.id] and items[0]["url"] == f"/t/{thread.id}#post-{post.id}"
    assert api.delete(f"/api/v1/posts/{post.id}/bookmark").status_code == 204
    assert api.get("/api/v1/bookmarks").json()["items"] == []


def test_coverage_counts_threads_per_sector_and_jurisdiction(api, database, expert):
    make_thread(database, expert, sector="tobacco", jurisdictions=["FR", "european-union"])
    make_thread(database, expert, sector="tobacco", jurisdictions=["FR"])
    cells = {
        (c["sector"], c["jurisdiction"]): c["threads"] for c in api.get("/api/v1/coverage").json()["cells"]
    }
    assert cells == {("tobacco", "FR"): 2, ("tobacco", "european-union"): 1}


def test_revision_rows_exist_for_every_post(database, expert):
    thread = make_thread(database, expert)
    make_reply(database, expert, thread)
    with database.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(PostRevision)).one() == 2
