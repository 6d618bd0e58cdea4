"""Search in a real browser. A prosecutor and an author, made by an admin token and the API; the
author's threads come from the API too: two that speak of a bonded warehouse (France and Kenya), one
that does too but also of cigars, which the search excludes, and one unrelated. The prosecutor
searches with the advanced form, narrows by the France facet, opens the hit at the right post, saves
the search; a new reply by the author then reaches the prosecutor's notifications, and the
notification leads to the new post. A malformed query shows its message with a 400. Axe checks the
empty search page, the results and the malformed-query page."""

import re
import time
import urllib.parse

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import admin_token, api, app_cli, axe_check, create_member

# (email, name, password)
PROSECUTOR = ("pauline.roux@example.org", "Pauline Roux, Deputy Prosecutor", "saffron ledger pylon drizzle")
AUTHOR = ("tomas.okafor@example.org", "Dr Tomás Okafor", "walnut beacon ripple granary")

WORDS = "bonded warehouse"
EXCLUDED = "cigar"
QUERY = f"{WORDS} -{EXCLUDED}"
NARROWED = f"{QUERY} jurisdiction:FR"

A_TITLE = "Diverting duty-suspended cigarettes in Le Havre"
A_OPENING = "Duty-suspended cigarettes left the port of Le Havre and never reached their declared buyer."
A_REPLY = (
    "The Rouen court treated the bonded warehouse diversion as customs fraud, not as a mere irregularity."
)
A_LATER = "A second bonded warehouse in Marseille was used the same way in 2023."
B_TITLE = "Spirits released from excise storage in Mombasa"
B_OPENING = "The bonded warehouse operator in Mombasa released spirits without paying excise duty."
C_TITLE = "Licensing of smoking lounges"
C_OPENING = "A bonded warehouse stored the cigar stock of a smoking lounge in Lyon."
D_TITLE = "Sentencing guidelines for repeat offenders"
D_OPENING = "How do appeal courts weigh earlier convictions for the same excise offence?"

QUOTE_ERROR = 'A quotation mark is not closed: add the closing " after the phrase.'


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


def _search_url(base_url: str, query: str) -> re.Pattern:
    """/search?q=QUERY, whatever else the query string holds (the sort); a space as + or %20."""
    encoded = re.escape(urllib.parse.quote(query, safe="")).replace("%20", r"(?:%20|\+)")
    return re.compile(rf"^{re.escape(base_url)}/search\?(.*&)?q={encoded}(&|$)")


def test_advanced_search_facet_hit_saved_search_and_notification(browser: Browser, base_url: str):
    token = admin_token(base_url)
    for email, name, password in (PROSECUTOR, AUTHOR):
        create_member(base_url, token, email, name, password)
    author_token = app_cli(base_url, "token", "create", "--email", AUTHOR[0]).strip()

    def thread(title: str, body: str, sector: str, jurisdiction: str) -> dict:
        payload = {"title": title, "body": body, "sector": sector, "jurisdictions": [jurisdiction]}
        return api(base_url, "POST", "/api/v1/threads", payload, author_token)

    thread_a = thread(A_TITLE, A_OPENING, "tobacco", "FR")
    reply = api(base_url, "POST", f"/api/v1/threads/{thread_a['id']}/posts", {"body": A_REPLY}, author_token)
    thread(B_TITLE, B_OPENING, "alcohol-excisable-goods", "KE")
    thread(C_TITLE, C_OPENING, "tobacco", "FR")
    thread(D_TITLE, D_OPENING, "tobacco", "FR")

    context = sign_in(browser, base_url, PROSECUTOR)
    page = context.pages[0]
    try:
        _advanced_search(page, base_url)
        _narrow_by_facet(page, base_url)
        _open_the_hit(page, base_url, thread_a["id"], reply["id"])
        _save_the_search(page, base_url)
        later = api(
            base_url, "POST", f"/api/v1/threads/{thread_a['id']}/posts", {"body": A_LATER}, author_token
        )
        _notified_of_the_new_match(page, base_url, thread_a["id"], later["id"])
        _malformed_query(page, base_url)
    finally:
        context.close()


def _advanced_search(page: Page, base_url: str) -> None:
    # From the search box in the header, empty: the search page with the advanced form open.
    page.get_by_role("search").filter(has=page.get_by_label("Search the forum")).get_by_role(
        "button", name="Search"
    ).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/search(\?q=)?$"))
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    advanced = page.locator("details.advanced")
    expect(advanced).to_have_attribute("open", "")
    expect(page.get_by_label("All of these words")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^\d+ results?$"))).to_have_count(0)
    axe_check(page)

    page.get_by_label("All of these words").fill(WORDS)
    page.get_by_label("None of these words").fill(EXCLUDED)
    page.get_by_role("button", name="Search with these criteria").click()
    expect(page).to_have_url(_search_url(base_url, QUERY))
    expect(page.get_by_label("Search for")).to_have_value(QUERY)
    # With a query, the advanced form folds away.
    expect(advanced).not_to_have_attribute("open", re.compile(".*"))

    results = page.get_by_role("region", name="2 results")
    expect(results).to_be_visible()
    hits = results.locator("li.hit")
    expect(hits).to_have_count(2)
    titles = hits.get_by_role("heading", level=3)
    assert sorted(titles.all_inner_texts()) == sorted([A_TITLE, B_TITLE])
    for hit in hits.all():
        marks = [text.lower() for text in hit.locator(".snippet mark").all_inner_texts()]
        assert {"bonded", "warehouse"} <= set(marks), marks
    expect(results).not_to_contain_text(C_TITLE)  # excluded by -cigar
    expect(results).not_to_contain_text(D_TITLE)  # no match at all
    expect(hits.filter(has_text=A_TITLE)).to_contain_text("Tobacco · France")
    expect(hits.filter(has_text=B_TITLE)).to_contain_text("Kenya")

    facets = page.get_by_role("complementary", name="Narrow the results")
    expect(facets.get_by_role("listitem").filter(has_text="France")).to_contain_text("(1)")
    expect(facets.get_by_role("listitem").filter(has_text="Kenya")).to_contain_text("(1)")
    axe_check(page)


def _narrow_by_facet(page: Page, base_url: str) -> None:
    facets = page.get_by_role("complementary", name="Narrow the results")
    facets.get_by_role("link", name="France", exact=True).click()
    expect(page).to_have_url(_search_url(base_url, NARROWED))
    expect(page.get_by_label("Search for")).to_have_value(NARROWED)
    results = page.get_by_role("region", name="1 result")
    expect(results.locator("li.hit")).to_have_count(1)
    expect(results.locator("li.hit")).to_contain_text(A_TITLE)
    expect(results).not_to_contain_text(B_TITLE)
    expect(facets.get_by_role("link", name="Kenya", exact=True)).to_have_count(0)


def _open_the_hit(page: Page, base_url: str, thread_id: int, post_id: int) -> None:
    page.get_by_role("region", name="1 result").get_by_role("link", name=A_TITLE).click()
    expect(page).to_have_url(f"{base_url}/t/{thread_id}#post-{post_id}")
    expect(page.get_by_role("heading", name=A_TITLE, level=1)).to_be_visible()
    post = page.locator(f"article#post-{post_id}")
    expect(post).to_be_visible()
    expect(post.locator(".post-body")).to_have_text(A_REPLY)
    expect(post).to_be_in_viewport()


def _save_the_search(page: Page, base_url: str) -> None:
    page.go_back()
    expect(page).to_have_url(_search_url(base_url, NARROWED))
    page.get_by_role("button", name="Save this search").click()
    expect(page).to_have_url(f"{base_url}/search/saved")
    expect(page.get_by_role("heading", name="Saved searches", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Search saved: new matches will reach your notifications."
    )
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=NARROWED, exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=NARROWED, exact=True)).to_have_attribute(
        "href", f"/search?q={urllib.parse.quote(NARROWED, safe='')}"
    )
    expect(row.get_by_role("button", name=f"Delete “{NARROWED}”")).to_be_visible()
    # Nothing new yet.
    expect(page.locator(".notifications-link .count")).to_have_count(0)


def _notified_of_the_new_match(page: Page, base_url: str, thread_id: int, post_id: int) -> None:
    # The saved-search check runs after the reply's commit, in the background: reload until it lands.
    count = page.locator(".notifications-link .count")
    deadline = time.monotonic() + 10
    while True:
        page.reload()
        if count.count() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(count).to_have_text("1 unread")
    expect(page.get_by_role("link", name="Notifications 1 unread")).to_be_visible()

    page.get_by_role("link", name="Notifications 1 unread").click()
    expect(page).to_have_url(f"{base_url}/notifications")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    item = page.locator("ol.notification-list > li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("new")
    link = item.get_by_role("link", name=f"New match for your saved search in “{A_TITLE}”")
    expect(link).to_have_attribute("href", f"/t/{thread_id}#post-{post_id}")
    axe_check(page)

    link.click()
    expect(page).to_have_url(f"{base_url}/t/{thread_id}#post-{post_id}")
    post = page.locator(f"article#post-{post_id}")
    expect(post).to_be_visible()
    expect(post.locator(".post-body")).to_have_text(A_LATER)
    # Reading the thread reads its notification.
    page.reload()
    expect(count).to_have_count(0)


def _malformed_query(page: Page, base_url: str) -> None:
    malformed = f'{WORDS} "unclosed'
    response = page.goto(f"{base_url}/search?q={urllib.parse.quote_plus(malformed)}")
    assert response is not None and response.status == 400, response and response.status
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(QUOTE_ERROR)
    query = page.get_by_label("Search for")
    expect(query).to_have_value(malformed)
    expect(query).to_have_attribute("aria-invalid", "true")
    expect(query).to_have_attribute("aria-describedby", "search-hint search-error")
    expect(page.get_by_role("button", name="Save this search")).to_have_count(0)
    axe_check(page)
