"""Moderation in a real browser. Two experts and a moderator, made by an admin token and the API; the
first expert's thread and reply come from the API too. The second expert reports the reply; the
moderator hides it from the reports queue with a reason; its author sees that reason, and nobody but
moderators sees its text; the moderator locks the thread and moves it to another sector; the admin
finds each of these acts in the audit log, filters it and exports it as CSV. Axe checks the report
form, the dashboard, the queue, the thread with the moderator tools open and the audit log."""

import csv
import io
import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    ADMIN_NAME,
    ADMIN_PASSWORD,
    admin_token,
    api,
    app_cli,
    axe_check,
    create_member,
)

# (email, name, password)
AUTHOR = ("celine.aubert@example.org", "Maître Céline Aubert", "lantern quarry thistle marble")
REPORTER = ("kofi.mensah@example.org", "Dr Kofi Mensah", "cobalt orchard pebble whistle")
MODERATOR = ("mara.moderator@example.org", "Mara Moderator", "juniper anvil tidal compass")
ADMIN = (ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD)

TITLE = "Protecting witnesses in tobacco smuggling prosecutions"
OPENING = "How do French courts shield witnesses who testify against smuggling networks?"
SECRET = "The witness in the Lyon case, Jean Dupont of Villeurbanne, testified under a false name."
REPORT_NOTE = "This names a protected witness."
HIDE_REASON = "Names a protected witness"
LOCK_REASON = "The discussion has run its course"
MOVE_REASON = "Excise, not tobacco licensing"
NEW_SECTOR = ("alcohol-excisable-goods", "Alcohol and other excisable goods")


def sign_in(browser: Browser, base_url: str, person: tuple[str, str, str]) -> BrowserContext:
    """A browser of the person's own, signed in through the sign-in page."""
    email, name, password = person
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(name)
    return context


def test_report_hide_lock_move_and_audit(browser: Browser, base_url: str):
    token = admin_token(base_url)
    for (email, name, password), role in ((AUTHOR, "expert"), (REPORTER, "expert"), (MODERATOR, "moderator")):
        create_member(base_url, token, email, name, password, role=role)
    author_token = app_cli(base_url, "token", "create", "--email", AUTHOR[0]).strip()
    thread = api(
        base_url,
        "POST",
        "/api/v1/threads",
        {"title": TITLE, "body": OPENING, "sector": "tobacco", "jurisdictions": ["FR"]},
        author_token,
    )
    reply = api(base_url, "POST", f"/api/v1/threads/{thread['id']}/posts", {"body": SECRET}, author_token)
    thread_url, post_id = f"{base_url}{thread['url']}", reply["id"]

    contexts = [sign_in(browser, base_url, person) for person in (REPORTER, MODERATOR, AUTHOR, ADMIN)]
    reporter, moderator, author, admin = (context.pages[0] for context in contexts)
    try:
        _reporter_reports(reporter, base_url, thread_url, thread["id"], post_id)
        _moderator_hides_from_the_queue(moderator, base_url, post_id)
        _author_sees_the_reason(author, reporter, thread_url, post_id)
        _moderator_locks_and_moves(moderator, thread_url, post_id)
        _admin_reads_the_audit_log(admin, base_url, thread["id"], post_id)
    finally:
        for context in contexts:
            context.close()


def _reporter_reports(page: Page, base_url: str, thread_url: str, thread_id: int, post_id: int) -> None:
    page.goto(thread_url)
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    post = page.locator(f"#post-{post_id}")
    expect(post.locator(".post-body")).to_have_text(SECRET)
    post.get_by_role("link", name="Report", exact=True).click()
    expect(page).to_have_url(f"{base_url}/posts/{post_id}/report")
    expect(page.get_by_role("heading", name="Report a post", level=1)).to_be_visible()
    expect(page.get_by_role("region", name=f"Post by {AUTHOR[1]}")).to_contain_text(SECRET)
    axe_check(page)
    page.get_by_role("group", name="What is wrong with it?").get_by_label("Confidential information").check()
    page.get_by_label("Note for the moderators").fill(REPORT_NOTE)
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(f"{base_url}/t/{thread_id}#post-{post_id}")
    expect(page.get_by_role("status")).to_contain_text(
        "Thank you. The moderators will look at your report; you will hear the outcome."
    )


def _moderator_hides_from_the_queue(page: Page, base_url: str, post_id: int) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
    expect(page).to_have_url(f"{base_url}/moderation")
    expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
    oldest = page.get_by_role("region", name="Oldest open reports")
    expect(oldest.get_by_role("listitem").filter(has_text=TITLE)).to_contain_text("1 report")
    axe_check(page)

    page.get_by_role("link", name="1 post with open reports").click()
    expect(page).to_have_url(f"{base_url}/moderation/reports")
    expect(page.get_by_role("heading", name="Reports to review", level=1)).to_be_visible()
    group = page.get_by_role("region", name=TITLE)
    expect(group).to_contain_text(f"Post by {AUTHOR[1]}")
    expect(group.locator(".post-body")).to_have_text(SECRET)
    flag = group.get_by_role("listitem")
    expect(flag).to_have_count(1)
    expect(flag).to_contain_text("Confidential information")
    expect(flag).to_contain_text(REPORTER[1])
    expect(flag).to_contain_text(REPORT_NOTE)
    axe_check(page)

    group.get_by_label("Reason (shown to the author if you hide the post)").fill(HIDE_REASON)
    group.get_by_role("button", name="Hide post").click()
    expect(page).to_have_url(f"{base_url}/moderation/reports")
    expect(page.get_by_role("status")).to_contain_text("The post is hidden. (1)")
    expect(page.get_by_role("main")).to_contain_text("No open reports")
    expect(page.get_by_role("region", name=TITLE)).to_have_count(0)

    # Back on the dashboard: nothing open, and the hidden post with its reason.
    page.get_by_role("link", name="Moderation dashboard").click()
    expect(page.get_by_role("link", name="0 posts with open reports")).to_be_visible()
    hidden = page.get_by_role("region", name="Recently hidden posts")
    expect(hidden).to_contain_text(f"Post {post_id} hidden by {MODERATOR[1]}")
    expect(hidden).to_contain_text(HIDE_REASON)


def _author_sees_the_reason(author: Page, reporter: Page, thread_url: str, post_id: int) -> None:
    author.goto(thread_url)
    post = author.locator(f"#post-{post_id}")
    expect(post).to_contain_text("Hidden by a moderator.")
    expect(post).to_contain_text(f"Reason: {HIDE_REASON}")
    expect(post.locator(".post-body")).to_have_count(0)
    expect(author.get_by_role("main")).not_to_contain_text("Jean Dupont")
    expect(author.get_by_role("main")).to_contain_text(OPENING)

    # Another expert (the reporter) does not read the text any more, nor can report it again.
    reporter.goto(thread_url)
    post = reporter.locator(f"#post-{post_id}")
    expect(post).to_contain_text("Hidden by a moderator.")
    expect(post.locator(".post-body")).to_have_count(0)
    expect(post.get_by_role("link", name="Report", exact=True)).to_have_count(0)
    expect(reporter.get_by_role("main")).not_to_contain_text("Jean Dupont")


def _moderator_locks_and_moves(page: Page, thread_url: str, post_id: int) -> None:
    page.goto(thread_url)
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    # Moderators still read a hidden post, marked with the reason.
    post = page.locator(f"#post-{post_id}")
    expect(post).to_contain_text(f"Hidden by a moderator: {HIDE_REASON}")
    expect(post.locator(".post-body")).to_have_text(SECRET)

    tools = page.locator("details.moderator-tools")
    tools.locator("summary").filter(has_text="Moderator tools").click()
    lock = tools.locator("form").filter(has=page.get_by_role("button", name="Lock thread"))
    expect(lock).to_be_visible()
    axe_check(page)
    lock.get_by_label("Reason").fill(LOCK_REASON)
    lock.get_by_role("button", name="Lock thread").click()
    expect(page.get_by_role("status")).to_contain_text("The thread is locked.")
    expect(page.locator(".thread-stats")).to_contain_text("Locked: no new replies")

    tools.locator("summary").filter(has_text="Moderator tools").click()
    expect(tools.get_by_role("button", name="Unlock thread")).to_be_visible()
    move = tools.locator("form").filter(has=page.get_by_role("button", name="Move thread"))
    expect(move.get_by_label("Move to sector")).to_have_value("tobacco")
    move.get_by_label("Move to sector").select_option(label=NEW_SECTOR[1])
    move.get_by_label("Reason").fill(MOVE_REASON)
    move.get_by_role("button", name="Move thread").click()
    expect(page.get_by_role("status")).to_contain_text("The thread was moved.")
    meta = page.locator("ul.thread-meta")
    expect(meta.get_by_role("link", name=NEW_SECTOR[1])).to_have_attribute("href", f"/s/{NEW_SECTOR[0]}")
    expect(meta.get_by_role("link", name="Tobacco", exact=True)).to_have_count(0)
    expect(page.locator(".thread-stats")).to_contain_text("Locked: no new replies")


def _admin_reads_the_audit_log(page: Page, base_url: str, thread_id: int, post_id: int) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{base_url}/audit-log")
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    rows = page.locator("table.audit tbody tr")
    expected = {
        "post.hide": (f"post {post_id}", HIDE_REASON),
        "thread.lock": (f"thread {thread_id}", LOCK_REASON),
        "thread.move": (f"thread {thread_id}", MOVE_REASON),
    }
    for action, (target, reason) in expected.items():
        row = rows.filter(has=page.locator("code", has_text=re.compile(rf"^{re.escape(action)}$")))
        expect(row).to_have_count(1)
        for text in (MODERATOR[1], target, reason):
            expect(row).to_contain_text(text)
    axe_check(page)

    # The whole log as CSV, from the export link.
    export = page.get_by_role("link", name="Export as CSV")
    expect(export).to_have_attribute("href", "/audit-log.csv")
    answer = page.request.get(f"{base_url}/audit-log.csv")
    assert answer.ok, answer.status
    assert answer.headers["content-type"].startswith("text/csv"), answer.headers
    table = list(csv.DictReader(io.StringIO(answer.text())))
    ours = {("post", str(post_id)), ("thread", str(thread_id))}
    by_action = {row["action"]: row for row in table if (row["target_type"], row["target_id"]) in ours}
    for action, (_target, reason) in expected.items():
        assert by_action[action]["actor"] == MODERATOR[0], table
        assert by_action[action]["reason"] == reason, table

    # Filtered by an action prefix: the thread actions only, and the export follows the filter.
    page.get_by_label("Action (e.g. post.hide)").fill("thread")
    page.get_by_role("button", name="Filter").click()
    # (A GET form sends its empty fields too.)
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/audit-log\?(.*&)?action=thread(&|$)"))
    expect(page.get_by_label("Action (e.g. post.hide)")).to_have_value("thread")
    actions = rows.locator("td:nth-child(3) code").all_inner_texts()
    assert {"thread.lock", "thread.move"} <= set(actions), actions
    assert all(action.startswith("thread.") for action in actions), actions
    expect(export).to_have_attribute("href", "/audit-log.csv?action=thread")
    answer = page.request.get(f"{base_url}/audit-log.csv?action=thread")
    assert answer.ok, answer.status
    actions = [row["action"] for row in csv.DictReader(io.StringIO(answer.text()))]
    assert {"thread.lock", "thread.move"} <= set(actions), actions
    assert all(action.startswith("thread.") for action in actions), actions
