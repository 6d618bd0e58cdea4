"""The first day of the forum in a real browser: the admin made by the CLI signs in and invites an
expert; the expert registers from the link, lands on the discussions, signs out and in again. Axe
checks each kind of page on the way."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, axe_check, axe_violations

EXPERT_EMAIL = "esther.expert@example.org"
EXPERT_NAME = "Judge Esther Expert"
EXPERT_PASSWORD = "violet tractor harbour lantern"


def test_axe_check_can_fail(browser: Browser):
    """The check is not vacuous: an unlabelled input fails it. (No app server needed.)"""
    page = browser.new_page()
    try:
        page.set_content(
            '<!doctype html><html lang="en"><head><title>x</title></head>'
            '<body><main><h1>Form</h1><input type="text" name="q"></main></body></html>'
        )
        assert "label" in {item["id"] for item in axe_violations(page)}
        with pytest.raises(AssertionError, match=r"\(label, critical, 1 nodes\)"):
            axe_check(page)
    finally:
        page.close()


def sign_in(page: Page, base_url: str, email: str, password: str, *, check_a11y: bool = False) -> None:
    page.goto(f"{base_url}/login")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    if check_a11y:
        axe_check(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page, base_url: str) -> None:
    page.get_by_role("navigation", name="Your account").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(f"{base_url}/login")))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")


def expect_profile(page: Page, base_url: str, name: str, email: str) -> None:
    expect(page).to_have_url(f"{base_url}/profile")
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    expect(page.locator("dl.summary")).to_contain_text(email)
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(name)
    expect(page.get_by_label("Your name")).to_have_value(name)


def test_admin_invites_expert_who_registers_signs_in_and_out(browser: Browser, page: Page, base_url: str):
    # The admin, created by `python -m app create-admin`, signs in and invites an expert.
    sign_in(page, base_url, ADMIN_EMAIL, ADMIN_PASSWORD, check_a11y=True)
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(ADMIN_NAME)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", name="Invitations", level=1)).to_be_visible()
    page.get_by_label("Their email address").fill(EXPERT_EMAIL)
    page.get_by_label("Role").select_option("expert")
    page.get_by_role("button", name="Send invitation").click()

    # No SMTP: the link is shown to the admin to pass on.
    notice = page.get_by_role("status").filter(has_text=EXPERT_EMAIL)
    expect(notice).to_contain_text("Mail is not set up")
    link_field = notice.locator(".copy-field")
    expect(link_field).to_have_attribute("readonly", "")
    # A copy button beside the link (JavaScript shows it); the whole link fits in its box.
    expect(notice.get_by_role("button", name="Copy")).to_be_visible()
    assert link_field.evaluate(
        "field => field.scrollWidth <= field.clientWidth + 1 && field.scrollHeight <= field.clientHeight + 1"
    )
    link = link_field.input_value()
    assert link.startswith(f"{base_url}/register?token="), link
    expect(page.get_by_role("row").filter(has_text=EXPERT_EMAIL)).to_contain_text("Pending")
    sign_out(page, base_url)

    # Someone else, in a browser of their own, opens the link.
    context = browser.new_context()
    try:
        expert = context.new_page()
        expert.goto(link)
        expect(expert.get_by_role("heading", name="Create your account", level=1)).to_be_visible()
        expect(expert.get_by_role("main")).to_contain_text(EXPERT_EMAIL)
        axe_check(expert)
        expert.get_by_label("Your name").fill(EXPERT_NAME)
        expert.get_by_label("Organisation").fill("High Court of Kenya")
        expert.get_by_label("Country").select_option("KE")
        expert.get_by_label("Password", exact=True).fill(EXPERT_PASSWORD)
        expert.get_by_role("button", name="Create account").click()

        # Registered and signed in, on the discussions.
        expect(expert).to_have_url(f"{base_url}/")
        expect(expert.get_by_role("status")).to_contain_text("Your account is ready.")
        axe_check(expert)
        expert.get_by_role("navigation", name="Your account").get_by_role("link", name=EXPERT_NAME).click()
        expect_profile(expert, base_url, EXPERT_NAME, EXPERT_EMAIL)
        expect(expert.get_by_label("Country")).to_have_value("KE")

        sign_out(expert, base_url)
        sign_in(expert, base_url, EXPERT_EMAIL, EXPERT_PASSWORD)
        expect(expert).to_have_url(f"{base_url}/")
        expert.get_by_role("navigation", name="Your account").get_by_role("link", name=EXPERT_NAME).click()
        expect_profile(expert, base_url, EXPERT_NAME, EXPERT_EMAIL)
        sign_out(expert, base_url)

        # Signed out for real: the profile asks for a sign-in again.
        expert.goto(f"{base_url}/profile")
        expect(expert).to_have_url(f"{base_url}/login?next=%2Fprofile")
        expect(expert.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    finally:
        context.close()
