"""Discussions in a real browser. Two experts, made by an admin token from the CLI and the API:
the first starts a thread with the live and the server-side preview, leaves a reply half-written
and finds the server-side draft again (in a second browser too), then posts it; the second replies
to that reply (nested), quotes it, edits their own post and reads the diff; the first is notified.
Axe checks the home, sector, new-thread, thread, reply, edit, revisions and notifications pages."""

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import admin_token, axe_check, create_member

AMINA = ("amina.odhiambo@example.org", "Justice Amina Odhiambo", "granite meadow kettle orchard", "KE")
BRUNO = ("bruno.keller@example.org", "Prof. Bruno Keller", "saffron glacier violin ember", "DE")
TITLE = "Sentencing illicit tobacco traders under the FCTC Protocol"
ANALYSIS = """Article 15 of the Protocol asks Parties to make **licensing** offences punishable.

| Country | Maximum sentence |
| --- | --- |
| Kenya | 5 years |
| Germany | 10 years |
"""
A_REPLY = "Kenyan courts have read the licensing duty strictly since 2021."
B_NESTED = "Which judgment do you have in mind?\n\nI know of two appeals on point."
B_NESTED_EDITED = "Which judgment do you have in mind?\n\nI know of three appeals on point."


def sign_in(browser: Browser, base_url: str, member: tuple[str, str, str, str]) -> BrowserContext:
    """A browser of the member's own, signed in through the sign-in page."""
    email, name, password, _country = member
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(name)
    return context


def post_id_from(page: Page) -> int:
    """The post a redirect after writing landed on: /t/{thread}#post-{id}."""
    match = re.search(r"#post-(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def test_experts_discuss_with_drafts_nested_replies_quotes_edits_and_notifications(
    browser: Browser, base_url: str
):
    token = admin_token(base_url)
    for email, name, password, country in (AMINA, BRUNO):
        create_member(base_url, token, email, name, password, country=country)
    amina_context = sign_in(browser, base_url, AMINA)
    bruno_context = sign_in(browser, base_url, BRUNO)
    try:
        thread_url, a_reply = _amina_starts_a_thread_and_keeps_a_draft(
            browser, amina_context.pages[0], base_url
        )
        nested = _bruno_replies_nested_quotes_and_edits(bruno_context.pages[0], base_url, thread_url, a_reply)
        _amina_is_notified(amina_context.pages[0], base_url, thread_url, nested)
    finally:
        amina_context.close()
        bruno_context.close()


def thread_id_of(thread_url: str) -> int:
    return int(re.search(r"/t/(\d+)", thread_url).group(1))


def _amina_starts_a_thread_and_keeps_a_draft(browser: Browser, page: Page, base_url: str) -> tuple[str, int]:
    """Her thread's address and the id of her reply in it."""
    # Home: the sectors, then one sector's page, then the empty new-thread form.
    expect(page.get_by_role("heading", name="Discussions", level=1)).to_be_visible()
    sectors = page.get_by_role("region", name="Sectors").get_by_role("table")
    expect(sectors.get_by_role("row").filter(has_text="Tobacco")).to_be_visible()
    axe_check(page)
    sectors.get_by_role("link", name="Tobacco", exact=True).click()
    expect(page).to_have_url(f"{base_url}/s/tobacco")
    expect(page.get_by_role("heading", name="Tobacco", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("No threads here yet.")
    axe_check(page)
    page.get_by_role("main").get_by_role("link", name="Start a thread").click()
    expect(page).to_have_url(f"{base_url}/threads/new?sector=tobacco")
    expect(page.get_by_role("heading", name="Start a thread", level=1)).to_be_visible()
    expect(page.get_by_label("Sector")).to_have_value("tobacco")
    axe_check(page)

    # Writing: the live preview (script) renders the Markdown as it is typed.
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Sector").select_option("tobacco")
    page.get_by_label("Jurisdictions").select_option(["KE", "european-union"])
    page.get_by_label("FCTC Protocol (2012)").check()
    page.get_by_label("Tags").fill("illicit trade, sentencing")
    page.get_by_label("Your analysis").fill(ANALYSIS)
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text("licensing")
    expect(preview.get_by_role("table").get_by_role("row")).to_have_count(3)
    expect(preview.get_by_role("cell", name="10 years")).to_be_visible()

    # The Preview button is the path without script: the server renders it, and keeps the form.
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url == f"{base_url}/threads/new"
    ) as answer:
        page.get_by_role("button", name="Preview", exact=True).click()
    assert answer.value.status == 200
    html = answer.value.text()
    assert "<strong>licensing</strong>" in html and "<table>" in html, html
    expect(preview.locator("strong")).to_have_text("licensing")
    expect(preview.get_by_role("cell", name="Germany")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Jurisdictions")).to_have_values(["european-union", "KE"])
    expect(page.get_by_label("FCTC Protocol (2012)")).to_be_checked()

    page.get_by_role("button", name="Publish thread").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/t/(\d+)/[a-z0-9-]+$"))
    thread_url = page.url
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your thread was published.")
    meta = page.locator("ul.thread-meta")
    for text in ("Tobacco", "Kenya", "European Union", "FCTC Protocol", "#illicit trade", "#sentencing"):
        expect(meta).to_contain_text(text)
    opening = page.locator("article.post").first
    expect(opening.locator(".post-body strong")).to_have_text("licensing")
    expect(opening.locator(".post-body table")).to_contain_text("Kenya")
    axe_check(page)

    # A reply half-written: the script saves it as a draft on the server.
    reply_box = page.get_by_label("Your reply")
    reply_box.fill(A_REPLY)
    expect(
        page.get_by_role("region", name="Reply to the thread").locator("[data-draft-status]")
    ).to_have_text("Draft saved.")

    # Away to the home page and back through the thread list: the draft is in the box again.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Discussions").click()
    expect(page).to_have_url(f"{base_url}/")
    recent = page.get_by_role("region", name="Recent activity")
    recent.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(thread_url)
    expect(page.get_by_label("Your reply")).to_have_value(A_REPLY)

    # Kept by the server, not by this browser: another browser of hers sees it too.
    elsewhere = sign_in(browser, base_url, AMINA)
    try:
        other = elsewhere.pages[0]
        other.goto(thread_url)
        expect(other.get_by_label("Your reply")).to_have_value(A_REPLY)
    finally:
        elsewhere.close()

    page.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(rf"/t/{thread_id_of(thread_url)}#post-\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Your reply was posted.")
    a_reply = post_id_from(page)
    article = page.locator(f"#post-{a_reply}")
    expect(article).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(article.locator(".post-body")).to_have_text(A_REPLY)
    # Posted, the draft is gone: the box is empty again.
    expect(page.get_by_label("Your reply")).to_have_value("")
    return thread_url, a_reply


def _bruno_replies_nested_quotes_and_edits(page: Page, base_url: str, thread_url: str, a_reply: int) -> int:
    """The id of his nested reply."""
    thread_id = thread_id_of(thread_url)
    page.goto(thread_url)
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()

    # A reply to Amina's reply, on the reply page: it is shown nested under hers.
    page.locator(f"#post-{a_reply}").get_by_role("link", name="Reply", exact=True).click()
    expect(page).to_have_url(f"{base_url}/t/{thread_id}/reply?parent={a_reply}")
    expect(page.get_by_role("heading", name=f"Reply in “{TITLE}”", level=1)).to_be_visible()
    replying_to = page.get_by_role("region", name=f"Replying to {AMINA[1]}")
    expect(replying_to).to_contain_text(A_REPLY)
    axe_check(page)
    page.get_by_label("Your reply").fill(B_NESTED)
    page.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(rf"/t/{thread_id}#post-\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Your reply was posted.")
    nested = post_id_from(page)
    nested_article = page.locator(f"#post-{nested}")
    expect(nested_article).to_have_class(re.compile(r"\bdepth-2\b"))
    expect(nested_article.get_by_role("heading", name=BRUNO[1])).to_be_visible()
    expect(nested_article.locator(".post-body")).to_contain_text("I know of two appeals on point.")
    # In the tree, the nested reply comes right after the post it answers.
    expect(page.locator(f"#post-{a_reply} + article.post")).to_have_id(f"post-{nested}")

    # A quote of Amina's reply: the box starts with her words.
    page.locator(f"#post-{a_reply}").get_by_role("link", name="Quote", exact=True).click()
    expect(page).to_have_url(f"{base_url}/t/{thread_id}/reply?parent={a_reply}&quote=1")
    box = page.get_by_label("Your reply")
    expect(box).to_have_value(f"{AMINA[1]} wrote:\n> {A_REPLY}\n\n")
    box.fill(box.input_value() + "Strictly, yes, but not retroactively.")
    page.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(rf"/t/{thread_id}#post-\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Your reply was posted.")
    quoting = page.locator(f"#post-{post_id_from(page)}")
    expect(quoting.locator(".post-body blockquote")).to_have_text(A_REPLY)
    expect(quoting.locator(".post-body")).to_contain_text("Strictly, yes, but not retroactively.")

    # An edit of his nested reply, with a reason; the revisions page shows the diff.
    nested_article = page.locator(f"#post-{nested}")
    expect(nested_article.get_by_role("link", name="edited")).to_have_count(0)
    nested_article.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(f"{base_url}/posts/{nested}/edit")
    expect(page.get_by_role("heading", name=f"Edit your post in “{TITLE}”", level=1)).to_be_visible()
    text = page.get_by_label("Post text")
    expect(text).to_have_value(B_NESTED)
    axe_check(page)
    text.fill(B_NESTED_EDITED)
    page.get_by_label("Reason for the edit").fill("Counted again")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"/t/{thread_id}#post-{nested}$"))
    expect(page.get_by_role("status")).to_contain_text("Your changes were saved.")
    nested_article = page.locator(f"#post-{nested}")
    expect(nested_article.locator(".post-body")).to_contain_text("I know of three appeals on point.")
    nested_article.get_by_role("link", name="edited").click()
    expect(page).to_have_url(f"{base_url}/posts/{nested}/revisions")
    expect(page.get_by_role("heading", name=f"Revisions of a post in “{TITLE}”", level=1)).to_be_visible()
    latest = page.get_by_role("region", name="Revision 2")
    expect(latest).to_contain_text("Reason: Counted again")
    # Each changed line, marked for the eye (+/−) and for screen readers (added/removed).
    removed, added = latest.locator("tr.diff-removed"), latest.locator("tr.diff-added")
    expect(removed.locator("td")).to_have_text("I know of two appeals on point.")
    expect(removed.get_by_role("rowheader")).to_contain_text("removed")
    expect(added.locator("td")).to_have_text("I know of three appeals on point.")
    expect(added.get_by_role("rowheader")).to_contain_text("added")
    expect(latest.locator("tr.diff-kept").first).to_contain_text("Which judgment do you have in mind?")
    expect(page.get_by_role("region", name="Revision 1")).to_contain_text("two appeals")
    axe_check(page)
    return nested


def _amina_is_notified(page: Page, base_url: str, thread_url: str, nested: int) -> None:
    thread_id = thread_id_of(thread_url)
    # Any page but the thread (opening it reads its notifications): the count is in the header.
    page.goto(f"{base_url}/")
    account = page.get_by_role("navigation", name="Your account")
    # Bruno's two replies to her posts, while she has not read them, are one item with a count.
    expect(account.locator(".notifications-link .count")).to_have_text("1 unread")
    account.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(page).to_have_url(f"{base_url}/notifications")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    notice = f"2 replies to your posts in “{TITLE}”, the latest by {BRUNO[1]}"
    items = page.locator("ol.notification-list > li.unread")
    expect(items).to_have_count(1)
    expect(items.get_by_role("link", name=notice)).to_have_count(1)
    axe_check(page)

    page.locator(f'a[href="/t/{thread_id}#post-{nested}"]').filter(has_text=notice).click()
    expect(page).to_have_url(f"{base_url}/t/{thread_id}#post-{nested}")
    expect(page.locator(f"#post-{nested}")).to_be_in_viewport()
    expect(page.locator(f"#post-{nested} .post-body")).to_contain_text("three appeals")
    # Read: opening the thread read its notifications, as the next page shows.
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name=re.compile(r"^Notifications")
    ).click()
    expect(page).to_have_url(f"{base_url}/notifications")
    expect(page.locator(".notifications-link .count")).to_have_count(0)
    expect(page.locator("ol.notification-list > li.read")).to_have_count(1)
