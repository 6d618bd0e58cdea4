"""On a phone no page is wider than the screen: the header wraps without JavaScript, tables scroll
inside their own box. Screenshots are kept in test-results/phone/ (CI's artifacts)."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, admin_token, api
from tests.live import ROOT

SCREENSHOTS = ROOT / "test-results" / "phone"
# A table as wide as legal comparisons get, and an unbroken citation that could push the page wider.
ANALYSIS = (
    "| Jurisdiction | Offence | Maximum sentence | Confiscation | Leading judgment | Year |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
    "| France | Contrefaçon en bande organisée | 7 ans | Oui | Cass. crim., 12 janvier 2021 | 2021 |\n"
    "| Kenya | Dealing in counterfeit goods | 5 years | Yes | Republic v Mwangi (High Court) | 2019 |\n\n"
    "See https://example.org/a/very/long/citation/path/that/never/breaks/by/itself/at/all/2021/0001"
)


@pytest.fixture(scope="module")
def thread_path(base_url: str) -> str:
    thread = api(
        base_url,
        "POST",
        "/api/v1/threads",
        {
            "title": "Comparing sentences for counterfeit medicines across the Mediterranean basin",
            "body": ANALYSIS,
            "sector": "medical-products",
            "jurisdictions": ["FR", "KE", "european-union"],
            "tags": ["sentencing", "confiscation"],
        },
        admin_token(base_url),
    )
    return thread["url"]


PAGES = {
    "home": "/",
    "thread": None,  # the thread made above
    "new-thread": "/threads/new",
    "search": "/search?q=counterfeit",
    "coverage": "/coverage",
    "library": "/library",
    "moderation": "/moderation",
}


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_is_wider_than_a_phone(browser: Browser, base_url: str, thread_path: str, width: int):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(ADMIN_EMAIL)
        page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Your account")).to_be_visible()
        too_wide = {}
        for name, path in PAGES.items():
            page.goto(f"{base_url}{path or thread_path}")
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=True)
            scroll_width, inner_width = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll_width > inner_width:
                too_wide[name] = scroll_width
            # Every header link stays on screen (wrapped, not cut off).
            for link in page.locator(".site-header a, .site-header button").all():
                box = link.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner_width, (
                    name,
                    link.inner_text(),
                    box,
                )
        assert too_wide == {}, f"pages wider than {width} px: {too_wide}"
    finally:
        context.close()
