"""Documents in a real browser. An expert, made by an admin token and the API, signs in, starts a thread
through the pages, attaches a judgment as PDF and as DOCX to its opening post with kind, tags and
language, corrects the tags on a document's page, finds both documents in the library by kind and
jurisdiction, and downloads one: the bytes are the uploaded ones and the download is served as an
attachment in a sandbox. Axe checks the upload form, the attachment page and the library."""

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.attachments import files
from tests.e2e.conftest import admin_token, axe_check, create_member

EXPERT = ("wanjiru.kamau@example.org", "Wanjiru Kamau", "savanna beacon ledger quill")
TITLE = "Counterfeit pesticide seizures before the Kenyan courts"
ANALYSIS = "The High Court upheld the forfeiture of counterfeit pesticides; the appeal turned on sampling."
PDF_NAME = "high-court-ruling.pdf"
DOCX_NAME = "appeal-judgment.docx"
KIND = ("case_law", "Judgment / case law")


def test_attach_tag_find_and_download(browser: Browser, base_url: str, tmp_path: Path):
    email, name, password = EXPERT
    create_member(base_url, admin_token(base_url), email, name, password)
    uploads = {
        PDF_NAME: files.pdf_with_text("Republic v. Agrochem Traders: forfeiture of counterfeit pesticides"),
        DOCX_NAME: files.docx_with_text("Court of Appeal at Nairobi: appeal on pesticide sampling dismissed"),
    }
    paths = []
    for filename, data in uploads.items():
        path = tmp_path / filename
        path.write_bytes(data)
        paths.append(path)

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{base_url}/")

        post = _start_thread(page, base_url)
        _attach(page, base_url, post, paths)
        attachment_id = _attachment_page(page, base_url, post)
        _library(page, base_url)
        _download(page, base_url, attachment_id, uploads[PDF_NAME])
    finally:
        context.close()


def _start_thread(page: Page, base_url: str):
    page.goto(f"{base_url}/threads/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Sector").select_option("pesticides-agrochemicals")
    page.get_by_label("Jurisdictions").select_option(["KE"])
    page.get_by_label("Your analysis").fill(ANALYSIS)
    page.get_by_role("button", name="Publish thread").click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    return page.locator("article.post").filter(has_text=ANALYSIS)


def _attach(page: Page, base_url: str, post, paths: list[Path]) -> None:
    post_id = int(post.get_attribute("id").removeprefix("post-"))
    post.get_by_role("link", name="Attach documents").click()
    expect(page).to_have_url(f"{base_url}/posts/{post_id}/attachments/new")
    axe_check(page)
    page.get_by_label("Documents").set_input_files(paths)
    page.get_by_label("Kind of document").select_option(KIND[0])
    page.get_by_label("Tags").fill("appeal, pesticides")
    page.get_by_label("Language").select_option(label="French")
    page.get_by_role("button", name="Upload documents").click()
    expect(page).to_have_url(re.compile(rf"/t/\d+.*#post-{post_id}$"))
    expect(page.get_by_role("status")).to_contain_text("2 document(s) attached.")
    documents = page.locator(f"#post-{post_id}").get_by_role("list", name="Documents")
    expect(documents.get_by_role("listitem")).to_have_count(2)
    for path in paths:
        expect(documents.get_by_role("link", name=path.name, exact=True)).to_be_visible()


def _attachment_page(page: Page, base_url: str, post) -> int:
    post.get_by_role("list", name="Documents").get_by_role("link", name=PDF_NAME, exact=True).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/attachments/\d+$"))
    attachment_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name=PDF_NAME, level=1)).to_be_visible()
    summary = page.locator("dl.summary")
    for term, value in (
        ("Kind", KIND[1]),
        ("Language", "French"),
        ("Tags", "#appeal #pesticides"),
        ("Jurisdictions", "Kenya"),
        ("Type and size", "application/pdf"),
        ("Text for search", "extracted"),
        ("Used in", TITLE),
    ):
        expect(summary.locator(f"dt:text-is('{term}') + dd")).to_contain_text(value)
    used_in = summary.get_by_role("link", name=TITLE)
    expect(used_in).to_have_attribute("href", re.compile(r"^/t/\d+#post-\d+$"))
    axe_check(page)

    edit = page.get_by_role("region", name="Edit details")
    expect(edit.get_by_label("Tags")).to_have_value("appeal, pesticides")
    edit.get_by_label("Tags").fill("appeal, pesticides, forfeiture")
    edit.get_by_role("button", name="Save details").click()
    expect(page).to_have_url(f"{base_url}/attachments/{attachment_id}")
    expect(page.get_by_role("status")).to_contain_text("The document's details were saved.")
    tags = summary.locator("dt:text-is('Tags') + dd")
    expect(tags.get_by_role("link", name="#forfeiture")).to_have_attribute("href", "/library?tag=forfeiture")
    expect(tags).to_contain_text("#appeal")
    return attachment_id


def _library(page: Page, base_url: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(page).to_have_url(f"{base_url}/library")
    expect(page.get_by_role("heading", name="Document library", level=1)).to_be_visible()
    axe_check(page)

    page.get_by_label("Kind").select_option(label=KIND[1])
    page.get_by_label("Jurisdiction").select_option(label="Kenya")
    page.get_by_role("button", name="Show documents").click()
    expect(page).to_have_url(re.compile(r"/library\?.*kind=case_law"))
    expect(page).to_have_url(re.compile(r"/library\?.*jurisdiction=KE"))
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    for filename in (PDF_NAME, DOCX_NAME):
        row = rows.filter(has=page.get_by_role("link", name=filename, exact=True))
        expect(row).to_contain_text(KIND[1])
        expect(row).to_contain_text("Kenya")
        expect(row).to_contain_text("#pesticides")
        expect(row.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.get_by_label("Kind")).to_have_value(KIND[0])
    axe_check(page)

    page.get_by_label("Kind").select_option(label="Legislation")
    page.get_by_role("button", name="Show documents").click()
    expect(page).to_have_url(re.compile(r"/library\?.*kind=legislation"))
    expect(page.get_by_role("main")).to_contain_text("No documents match.")
    expect(page.get_by_role("table")).to_have_count(0)


def _download(page: Page, base_url: str, attachment_id: int, uploaded: bytes) -> None:
    page.goto(f"{base_url}/attachments/{attachment_id}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == PDF_NAME
    assert Path(download.path()).read_bytes() == uploaded

    response = page.request.get(f"{base_url}/attachments/{attachment_id}/download")
    assert response.status == 200
    headers = response.headers
    assert headers["content-disposition"].startswith("attachment")
    assert PDF_NAME in headers["content-disposition"]
    assert headers["content-type"] == "application/pdf"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("sandbox")
    assert response.body() == uploaded
