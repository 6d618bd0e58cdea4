"""Moderation on SQLite and PostgreSQL: permissions, reports, hidden content, tags, the audit trail."""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.forum import curation
from app.forum.models import Post, Thread
from app.notifications.models import Notification, OutboxMessage
from tests.conftest import csrf_from
from tests.factories import audit_entries, make_reply, make_thread, make_user, token_client


def _endpoints(scene, target_user_id):
    thread, post = scene["thread"].id, scene["first"].id
    return [
        ("get", "/api/v1/moderation/flags", None),
        ("post", f"/api/v1/moderation/flags/{post}/resolve", {"action": "dismiss"}),
        ("post", f"/api/v1/posts/{post}/hide", {"reason": "x"}),
        ("post", f"/api/v1/posts/{post}/unhide", {}),
        ("post", f"/api/v1/threads/{thread}/lock", {}),
        ("post", f"/api/v1/threads/{thread}/unlock", {}),
        ("post", f"/api/v1/threads/{thread}/pin", {}),
        ("post", f"/api/v1/threads/{thread}/unpin", {}),
        ("post", f"/api/v1/threads/{thread}/move", {"sector": "fuel"}),
        ("post", f"/api/v1/threads/{thread}/merge", {"target_id": thread + 1000}),
        ("post", f"/api/v1/threads/{thread}/split", {"post_ids": [post], "title": "x"}),
        ("post", f"/api/v1/threads/{thread}/taxonomy", {"jurisdictions": ["KE"]}),
        ("post", "/api/v1/tags/x/rename", {"new_name": "y"}),
        ("post", f"/api/v1/users/{target_user_id}/suspend", {"reason": "x"}),
        ("post", f"/api/v1/users/{target_user_id}/unsuspend", {}),
        ("get", "/api/v1/audit-log", None),
        ("get", "/api/v1/audit-log.csv", None),
    ]


def test_an_expert_gets_403_from_every_moderation_endpoint(app, database, scene, expert):
    client = token_client(app, database, expert)
    victim = make_user(database)
    for method, path, body in _endpoints(scene, victim.id):
        response = getattr(client, method)(path, **({"json": body} if body is not None else {}))
        assert response.status_code == 403, (path, response.status_code, response.text)
    assert audit_entries(database) == []


def test_a_moderator_scoped_to_one_sector_gets_403_in_another(app, database, scene, admin):
    scoped = make_user(database, role="moderator")
    admin_client = token_client(app, database, admin)
    assert admin_client.post(f"/api/v1/users/{scoped.id}/sectors", json={"sectors": ["fuel"]}).json() == {
        "sectors": ["fuel"]
    }
    client = token_client(app, database, scoped)
    thread = scene["thread"]
    assert client.post(f"/api/v1/threads/{thread.id}/lock", json={}).status_code == 403
    assert client.post(f"/api/v1/posts/{scene['first'].id}/hide", json={"reason": "x"}).status_code == 403
    fuel = make_thread(database, make_user(database), sector="fuel")
    assert client.post(f"/api/v1/threads/{fuel.id}/lock", json={}).status_code == 200
    # Moving a fuel thread into tobacco needs the tobacco sector too.
    assert client.post(f"/api/v1/threads/{fuel.id}/move", json={"sector": "tobacco"}).status_code == 403


def test_nobody_moderates_an_admin_or_themself(app, database, admin, moderator):
    other_admin = make_user(database, role="admin")
    client = token_client(app, database, moderator)
    assert client.post(f"/api/v1/users/{admin.id}/suspend", json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/users/{moderator.id}/suspend", json={"reason": "x"}).status_code == 403
    as_admin = token_client(app, database, admin)
    assert as_admin.post(f"/api/v1/users/{other_admin.id}/suspend", json={"reason": "x"}).status_code == 403
    assert as_admin.post(f"/api/v1/users/{moderator.id}/suspend", json={"reason": "x"}).status_code == 200


def test_a_suspended_members_session_and_token_stop_on_the_next_request(
    app, database, signed_in, expert, moderator
):
    member = signed_in(expert)
    by_token = token_client(app, database, expert)
    assert by_token.get("/api/v1/me").status_code == 200
    response = token_client(app, database, moderator).post(
        f"/api/v1/users/{expert.id}/suspend", json={"reason": "Leaked a witness name", "until": "2099-01-01"}
    )
    assert response.status_code == 200
    assert member.get("/profile", follow_redirects=False).status_code == 303
    assert by_token.get("/api/v1/me").status_code == 401
    assert len(audit_entries(database, "user.suspend")) == 1


def test_reports_queue_hide_and_outcome(app, database, scene, expert, moderator):
    reporter = make_user(database)
    client = token_client(app, database, reporter)
    target = scene["third"]
    first = client.post(
        f"/api/v1/posts/{target.id}/flags", json={"reason": "confidential", "note": "names a witness"}
    )
    assert first.status_code == 201
    assert client.post(f"/api/v1/posts/{target.id}/flags", json={"reason": "spam"}).status_code == 409
    assert client.post(f"/api/v1/posts/{target.id}/flags", json={"reason": "boring"}).status_code == 422
    token_client(app, database, expert).post(f"/api/v1/posts/{target.id}/flags", json={"reason": "other"})
    as_moderator = token_client(app, database, moderator)
    queue = as_moderator.get("/api/v1/moderation/flags").json()["items"]
    assert len(queue) == 1 and [f["reason"] for f in queue[0]["flags"]] == ["confidential", "other"]
    resolved = as_moderator.post(
        f"/api/v1/moderation/flags/{target.id}/resolve",
        json={"action": "hide", "reason": "Names a protected witness"},
    )
    assert resolved.json() == {"resolved": 2}
    assert as_moderator.get("/api/v1/moderation/flags").json()["items"] == []
    with database.unit_of_work(write=False) as session:
        outcome = session.exec(select(Notification.user_id).where(Notification.kind == "flag_outcome")).all()
        post = session.get(Post, target.id)
    assert sorted(outcome) == sorted([reporter.id, expert.id])
    assert post.state == "hidden" and post.hidden_reason == "Names a protected witness"


def test_an_expert_never_sees_a_hidden_posts_text_through_any_side_door(
    app, database, signed_in, scene, expert, moderator
):
    secret = make_reply(database, moderator, scene["thread"], "Informant: Jean @" + expert.handle + " 0612")
    as_moderator = token_client(app, database, moderator)
    assert as_moderator.post(f"/api/v1/posts/{secret.id}/hide", json={"reason": "Names an informant"}).json()[
        "changed"
    ]
    api = token_client(app, database, expert)
    page = signed_in(expert)
    thread = scene["thread"]
    doors = {
        "thread page": page.get(f"/t/{thread.id}").text,
        "flat view": page.get(f"/t/{thread.id}?view=flat").text,
        "api thread": api.get(f"/api/v1/threads/{thread.id}").text,
        "api posts": api.get(f"/api/v1/threads/{thread.id}/posts?flat=true").text,
        "quote": page.get(f"/t/{thread.id}/reply?parent={secret.id}&quote=1").text,
        "revisions": page.get(f"/posts/{secret.id}/revisions").text,
        "api revisions": api.get(f"/api/v1/posts/{secret.id}/revisions").text,
        "notifications": page.get("/notifications").text,
        "api notifications": api.get("/api/v1/notifications").text,
        "bookmarks": api.get("/api/v1/bookmarks").text,
        "report form": page.get(f"/posts/{secret.id}/report").text,
        "lists": api.get("/api/v1/threads").text + page.get("/").text,
    }
    with database.unit_of_work(write=False) as session:
        doors["mail"] = " ".join(m.body + m.subject for m in session.exec(select(OutboxMessage)).all())
    leaks = [door for door, text in doors.items() if "Informant" in text or "0612" in text]
    assert leaks == []
    # Counts do not give it away either: the hidden reply is not counted.
    assert api.get(f"/api/v1/threads/{thread.id}").json()["reply_count"] == 4
    # The moderator still reads it, marked.
    assert "Informant" in as_moderator.get(f"/api/v1/threads/{thread.id}").text


def test_author_sees_the_reason_for_hiding(app, database, signed_in, scene, expert, moderator):
    post = scene["other"]  # written by the expert
    moderation_client = token_client(app, database, moderator)
    moderation_client.post(f"/api/v1/posts/{post.id}/hide", json={"reason": "Off-topic for this sector"})
    page = signed_in(expert).get(f"/t/{scene['thread'].id}")
    assert "Hidden by a moderator." in page.text and "Off-topic for this sector" in page.text
    assert "Another branch" not in page.text


def test_tags_rename_and_merge(app, database, expert, moderator):
    one = make_thread(database, expert, tags=["counterfeit", "online"])
    make_thread(database, expert, tags=["fake goods"])
    client = token_client(app, database, moderator)
    assert client.post("/api/v1/tags/online/rename", json={"new_name": "Online sales"}).json() == {
        "name": "online sales"
    }
    assert client.post("/api/v1/tags/fake goods/rename", json={"new_name": "counterfeit"}).json() == {
        "name": "counterfeit"
    }
    titles = [t["id"] for t in client.get("/api/v1/threads", params={"tag": "counterfeit"}).json()["items"]]
    assert len(titles) == 2 and one.id in titles
    assert client.get("/api/v1/threads", params={"tag": "fake goods"}).json()["items"] == []
    assert [e.action for e in audit_entries(database)] == ["tag.rename", "tag.merge"]


def test_every_action_is_audited_once_and_a_failed_one_leaves_no_entry(app, database, scene, moderator):
    client = token_client(app, database, moderator)
    thread_id = scene["thread"].id
    client.post(f"/api/v1/threads/{thread_id}/lock", json={"reason": "done"})
    # A merge into a thread that does not exist fails after permission checks: nothing recorded.
    assert client.post(f"/api/v1/threads/{thread_id}/merge", json={"target_id": 99999999}).status_code == 404
    # A split whose title is missing fails too.
    assert (
        client.post(
            f"/api/v1/threads/{thread_id}/split", json={"post_ids": [scene["first"].id], "title": " "}
        ).status_code
        == 422
    )
    assert [(e.action, e.actor_id, e.target_id, e.reason) for e in audit_entries(database)] == [
        ("thread.lock", moderator.id, thread_id, "done")
    ]


def test_a_failing_transaction_takes_its_audit_entry_with_it(database, scene, moderator):
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        curation.lock_thread(session, moderator, scene["thread"].id, "about to fail")
        raise RuntimeError("the request failed after the action")
    assert audit_entries(database) == []
    with database.unit_of_work(write=False) as session:
        assert session.get(Thread, scene["thread"].id).locked is False


def test_audit_log_filters_and_csv_neutralise_formulas(app, database, signed_in, scene, admin, moderator):
    client = token_client(app, database, moderator)
    client.post(f"/api/v1/threads/{scene['thread'].id}/lock", json={"reason": '=HYPERLINK("http://evil")'})
    client.post(f"/api/v1/posts/{scene['first'].id}/hide", json={"reason": "@SUM(1+1)"})
    as_admin = token_client(app, database, admin)
    entries = as_admin.get("/api/v1/audit-log", params={"action": "post.hide"}).json()["items"]
    assert [e["action"] for e in entries] == ["post.hide"] and entries[0]["actor"]["id"] == moderator.id
    assert (
        as_admin.get("/api/v1/audit-log", params={"actor": moderator.email}).json()["items"][0]["action"]
        == "post.hide"
    )
    assert as_admin.get("/api/v1/audit-log", params={"since": "not-a-date"}).status_code == 400
    exported = as_admin.get("/api/v1/audit-log.csv")
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(exported.text)))
    reasons = [row[6] for row in rows[1:]]
    assert reasons == ["'@SUM(1+1)", '\'=HYPERLINK("http://evil")']
    page = signed_in(admin).get("/audit-log?action=thread.lock")
    assert "thread.lock" in page.text and "post.hide" not in page.text.split("<table")[1]
    admin_pages = signed_in(admin)
    post_id = scene["first"].id
    by_target = admin_pages.get(f"/audit-log?target_type=post&target_id={post_id}")
    assert "post.hide" in by_target.text and "thread.lock" not in by_target.text.split("<table")[1]
    # A target id that is not a number is kept in the form and filters nothing (the API says 422).
    typed = admin_pages.get("/audit-log?target_id=abc")
    assert typed.status_code == 200 and 'value="abc"' in typed.text
    assert "thread.lock" in typed.text.split("<table")[1] and "post.hide" in typed.text.split("<table")[1]
    assert as_admin.get("/api/v1/audit-log", params={"target_id": "abc"}).status_code == 422
    assert token_client(app, database, moderator).get("/api/v1/audit-log").status_code == 403


def test_queue_page_and_dashboard(app, database, signed_in, scene, expert, moderator):
    client = signed_in(expert)
    form = client.get(f"/posts/{scene['first'].id}/report")
    client.post(
        f"/posts/{scene['first'].id}/report",
        data={"reason": "off_topic", "note": "Not about tobacco", "csrf_token": csrf_from(form.text)},
    )
    again = client.post(
        f"/posts/{scene['first'].id}/report", data={"reason": "spam", "csrf_token": csrf_from(form.text)}
    )
    assert again.status_code == 409
    moderator_page = TestClient(app, base_url="https://testserver")
    from tests.conftest import sign_in

    sign_in(moderator_page, moderator.email)
    queue = moderator_page.get("/moderation/reports")
    assert "Not about tobacco" in queue.text and "Hide post" in queue.text
    moderator_page.post(
        f"/moderation/reports/{scene['first'].id}",
        data={"action": "dismiss", "reason": "", "csrf_token": csrf_from(queue.text)},
    )
    assert "No open reports" in moderator_page.get("/moderation/reports").text
    assert "Moderation" in moderator_page.get("/moderation").text
    assert signed_in(expert).get("/moderation/reports").status_code == 403


def test_the_hiding_reason_reaches_the_author_and_moderators_only(app, database, scene, expert, moderator):
    token_client(app, database, moderator).post(
        f"/api/v1/posts/{scene['first'].id}/hide", json={"reason": "names informant J. Doe"}
    )
    other = token_client(app, database, make_user(database))
    assert "J. Doe" not in other.get(f"/api/v1/threads/{scene['thread'].id}").text
    author = token_client(app, database, moderator)
    assert "J. Doe" in author.get(f"/api/v1/threads/{scene['thread'].id}").text


def test_merging_a_tag_used_on_documents(app, database, expert, moderator):
    from tests.attachments.files import pdf_with_text

    thread = make_thread(database, expert, tags=["fakes"])
    post = make_reply(database, expert, thread)
    client = token_client(app, database, expert)
    uploaded = client.post(
        f"/api/v1/posts/{post.id}/attachments",
        files={"file": ("a.pdf", pdf_with_text("x"), "application/pdf")},
        data={"tags": "oldtag"},
    )
    assert uploaded.status_code == 201
    response = token_client(app, database, moderator).post(
        "/api/v1/tags/oldtag/rename", json={"new_name": "fakes"}
    )
    assert response.status_code == 200
    assert client.get(f"/api/v1/attachments/{uploaded.json()['id']}").json()["tags"] == ["fakes"]


def test_reports_on_a_post_its_author_deleted_leave_the_queue(app, database, scene, expert, moderator):
    reporter = token_client(app, database, make_user(database))
    reporter.post(f"/api/v1/posts/{scene['other'].id}/flags", json={"reason": "spam"})
    token_client(app, database, expert).delete(f"/api/v1/posts/{scene['other'].id}")
    assert token_client(app, database, moderator).get("/api/v1/moderation/flags").json()["items"] == []


def test_dashboard_shows_moderators_only_their_own_invitations(app, database, signed_in, admin, moderator):
    from tests.factories import make_invitation

    make_invitation(database, admin, email="secret-new-admin@example.org", role="admin")
    assert "secret-new-admin" not in signed_in(moderator).get("/moderation").text


@pytest.mark.parametrize(
    "path", ["/api/v1/threads/99999999999999999999999", "/api/v1/posts/99999999999999999999/revisions"]
)
def test_huge_ids_are_404_not_500(app, database, expert, path):
    assert token_client(app, database, expert).get(path).status_code == 404


def test_a_garbled_flat_cursor_is_400(app, database, scene, expert):
    from app.pagination import encode_cursor

    response = token_client(app, database, expert).get(
        f"/api/v1/threads/{scene['thread'].id}/posts", params={"flat": "true", "cursor": encode_cursor(["x"])}
    )
    assert response.status_code == 400


def test_the_report_button_and_the_report_check_agree(app, database, signed_in, scene, expert, moderator):
    """A member sees "Report" under other members' visible posts only, and the API refuses the rest:
    their own post with a message, a hidden one as not found."""
    own, others = scene["other"], scene["first"]
    page = signed_in(expert).get(f"/t/{scene['thread'].id}").text
    assert f'href="/posts/{others.id}/report"' in page
    assert f'href="/posts/{own.id}/report"' not in page
    client = token_client(app, database, expert)
    refused = client.post(f"/api/v1/posts/{own.id}/flags", json={"reason": "spam"})
    assert refused.status_code == 400 and "not your own" in refused.json()["detail"]
    token_client(app, database, moderator).post(
        f"/api/v1/posts/{scene['third'].id}/hide", json={"reason": "x"}
    )
    hidden = token_client(app, database, make_user(database)).post(
        f"/api/v1/posts/{scene['third'].id}/flags", json={"reason": "spam"}
    )
    # A member who may not read the hidden post cannot report it either: to them it is not there.
    assert hidden.status_code == 404
    assert client.post(f"/api/v1/posts/{others.id}/flags", json={"reason": "spam"}).status_code == 201
