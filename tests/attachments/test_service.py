"""Attachments with real files on real disk, on SQLite and PostgreSQL."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.attachments.models import Attachment
from app.attachments.service import clean_filename
from tests.attachments import files
from tests.conftest import csrf_from
from tests.factories import make_reply, make_thread, make_token, make_user, set_post_state

ACCEPTED = [
    (
        "ruling.pdf",
        lambda: files.pdf_with_text("Tribunal judiciaire counterfeit pesticide ruling"),
        "application/pdf",
        "counterfeit pesticide ruling",
    ),
    (
        "statute.docx",
        lambda: files.docx_with_text("Section 12 of the Anti-Counterfeit Act 2008"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Anti-Counterfeit Act 2008",
    ),
    (
        "note.odt",
        lambda: files.odt_with_text("Note on the FCTC Protocol article 15"),
        "application/vnd.oasis.opendocument.text",
        "FCTC Protocol article 15",
    ),
    (
        "memo.txt",
        lambda: "Mémo: décision du tribunal\n".encode(),
        "text/plain; charset=utf-8",
        "décision du tribunal",
    ),
    ("chart.png", files.png, "image/png", None),
    ("old.rtf", lambda: b"{\\rtf1\\ansi Hello}", "application/rtf", None),
]

REFUSED = [
    ("html-as.pdf", lambda: files.HTML_AS_PDF),
    ("drawing.svg", lambda: files.SVG_WITH_SCRIPT),
    ("bomb.docx", files.zip_bomb_docx),
    ("laughs.docx", files.docx_with_entity_expansion),
    ("macro.docx", files.docm_dressed_as_docx),
    ("traversal.docx", files.zip_with_traversal),
    ("sizes.docx", files.docx_with_lying_sizes),
    ("brief.docx", lambda: b"Plain text pretending to be a Word document."),
    ("ruling.pdf", lambda: files.png()),
    ("statute.odt", lambda: files.docx_with_text("A Word document named as OpenDocument")),
    ("page.txt", lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("binary.txt", lambda: bytes(range(256)) * 10),
]


@pytest.fixture
def store(settings) -> Path:
    return settings.data_dir / "attachments"


def stored_files(store: Path) -> list[Path]:
    """Every file under the store, the temporary upload folder included: nothing may linger there."""
    return sorted(p for p in store.rglob("*") if p.is_file()) if store.exists() else []


def count_rows(database) -> int:
    with database.unit_of_work(write=False) as session:
        return session.exec(select(func.count()).select_from(Attachment)).one()


@pytest.fixture
def post(database, expert):
    thread = make_thread(
        database, expert, jurisdictions=["FR", "european-union"], sector="pesticides-agrochemicals"
    )
    return make_reply(database, expert, thread, "See the attached ruling.")


@pytest.fixture
def api(app, database, expert) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    client.headers["Authorization"] = f"Bearer {make_token(database, expert)}"
    return client


def upload(client, post_id, name, data, **fields):
    return client.post(
        f"/api/v1/posts/{post_id}/attachments",
        files={"file": (name, data, "application/pdf")},
        data={"kind": "case_law", "tags": "Ruling, appeal", "language": "fr", **fields},
    )


@pytest.mark.parametrize(("name", "make", "content_type", "text"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_documents_are_stored_by_hash_with_their_text(
    api, database, post, store, name, make, content_type, text
):
    data = make()
    response = upload(api, post.id, name, data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == content_type and body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["filename"] == name
    assert body["kind"] == "case_law" and body["tags"] == ["appeal", "ruling"] and body["language"] == "fr"
    assert sorted(body["jurisdictions"]) == ["FR", "european-union"]  # the post's, by default
    assert [p.name for p in stored_files(store)] == [body["sha256"]]
    with database.unit_of_work(write=False) as session:
        row = session.get(Attachment, body["id"])
    if text:
        assert text in row.text and row.text_status == "ok"
    else:
        assert row.text_status == "none"


@pytest.mark.parametrize(("name", "make"), REFUSED, ids=[r[0] for r in REFUSED])
def test_hostile_or_unsupported_files_are_refused_and_leave_nothing(api, database, post, store, name, make):
    response = upload(api, post.id, name, make())
    assert response.status_code == 415, response.text
    assert "Accepted: PDF" in response.json()["detail"]
    assert count_rows(database) == 0
    assert stored_files(store) == []


def test_a_declared_office_document_that_is_not_one_says_what_it_is(api, database, post, store):
    response = upload(api, post.id, "brief.docx", b"Plain text pretending to be a Word document.")
    assert response.status_code == 415
    detail = response.json()["detail"]
    assert "brief.docx" in detail and "Word document" in detail and "plain text" in detail
    assert count_rows(database) == 0 and stored_files(store) == []


def test_a_zip_is_checked_by_what_its_parts_really_inflate_to(api, database, post, store):
    data = files.docx_with_lying_sizes()
    assert all(item.file_size <= 1024 * 1024 for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    response = upload(api, post.id, "sizes.docx", data)
    assert response.status_code == 415
    assert "not the size they declare" in response.json()["detail"]
    assert count_rows(database) == 0 and stored_files(store) == []


def test_an_encrypted_pdf_is_kept_downloadable_and_marked_unsearchable(api, database, post, store):
    data = files.encrypted_pdf("Sealed judgment on falsified insulin", user_password="the court's secret")
    response = upload(api, post.id, "sealed.pdf", data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "application/pdf" and body["text_status"] == "encrypted"
    download = api.get(f"/api/v1/attachments/{body['id']}/download")
    assert download.status_code == 200 and download.content == data
    assert api.get("/api/v1/search", params={"q": "insulin"}).json()["items"] == []
    page = api.get(f"/attachments/{body['id']}")
    assert "text not extractable (encrypted)" in page.text


def test_a_pdf_encrypted_only_against_copying_is_read_for_search(api, database, post):
    data = files.encrypted_pdf("Restricted printing of the pesticide ruling", user_password="")
    response = upload(api, post.id, "restricted.pdf", data)
    assert response.status_code == 201, response.text
    with database.unit_of_work(write=False) as session:
        row = session.get(Attachment, response.json()["id"])
    assert row.text_status == "ok" and "pesticide ruling" in row.text


def test_an_empty_file_is_a_bad_request(api, database, post, store):
    response = upload(api, post.id, "empty.pdf", b"")
    assert response.status_code == 400 and response.json()["detail"] == "The file is empty."
    assert count_rows(database) == 0 and stored_files(store) == []


def test_an_oversized_form_field_is_413_naming_it(api, database, post, store):
    response = upload(api, post.id, "memo.txt", b"A short memo", tags="x" * 20_000)
    assert response.status_code == 413
    assert "tags" in response.json()["detail"]
    assert count_rows(database) == 0 and stored_files(store) == []


def test_one_byte_over_the_limit_is_413_and_leaves_nothing(api, database, post, store, settings):
    settings.max_upload_mb = 1
    limit = 1024 * 1024
    exactly = b"a" * limit
    assert upload(api, post.id, "exact.txt", exactly).status_code == 201
    before = stored_files(store)
    response = upload(api, post.id, "over.txt", b"b" * (limit + 1))
    assert response.status_code == 413 and response.json()["detail"]
    assert stored_files(store) == before and count_rows(database) == 1


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.pdf", "system.pdf"),
        ("evil\x00.pdf", "evil.pdf"),
        ("line\r\nContent-Type: text/html.pdf", "html.pdf"),  # the slash ends the "directory"
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("...", "document"),
    ],
)
def test_file_names_are_cleaned(raw, shown):
    assert clean_filename(raw) == shown


@pytest.mark.parametrize(
    "raw", ["../../etc/passwd.pdf", "evil\x00.pdf", "a\r\nb.pdf", "invoice\u202efdp.pdf"]
)
def test_uploaded_names_never_touch_the_disk_path_or_the_headers(api, post, store, raw):
    data = files.pdf_with_text("name test " + raw.encode("unicode_escape").decode())
    response = upload(api, post.id, raw, data)
    assert response.status_code == 201
    shown = response.json()["filename"]
    assert "/" not in shown and not any(ord(ch) < 32 or ch == "\u202e" for ch in shown)
    assert [p.name for p in stored_files(store)] == [response.json()["sha256"]]
    disposition = api.get(response.json()["download_url"]).headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition


def test_the_same_document_twice_is_stored_once_and_removed_with_its_last_reference(
    api, database, post, store
):
    data = files.pdf_with_text("Same bytes")
    first = upload(api, post.id, "a.pdf", data).json()
    second = upload(api, post.id, "b.pdf", data).json()
    assert first["sha256"] == second["sha256"] and len(stored_files(store)) == 1
    assert api.delete(f"/api/v1/attachments/{first['id']}").status_code == 204
    assert len(stored_files(store)) == 1
    assert api.delete(f"/api/v1/attachments/{second['id']}").status_code == 204
    assert stored_files(store) == []


def test_download_headers(api, post):
    data = files.pdf_with_text("Download me")
    body = upload(api, post.id, "Décision n° 12.pdf", data).json()
    response = api.get(body["download_url"])
    assert response.status_code == 200 and response.content == data
    headers = response.headers
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["content-disposition"] == "attachment; filename*=utf-8''D%C3%A9cision%20n%C2%B0%2012.pdf"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("sandbox")
    assert headers["content-length"] == str(len(data))
    assert headers["etag"] == f'"{body["sha256"]}"'
    ranged = api.get(body["download_url"], headers={"Range": "bytes=0-7"})
    assert ranged.status_code == 206 and ranged.content == data[:8]
    assert ranged.headers["content-range"] == f"bytes 0-7/{len(data)}"


def test_only_people_who_may_read_the_post_may_fetch_its_documents(
    app, api, database, post, expert, moderator
):
    body = upload(api, post.id, "secret.pdf", files.pdf_with_text("Sealed indictment")).json()
    other_expert = TestClient(app, base_url="https://testserver")
    other_expert.headers["Authorization"] = f"Bearer {make_token(database, make_user(database))}"
    assert other_expert.get(body["download_url"]).status_code == 200
    set_post_state(database, post.id, "hidden", "confidential")
    for path in (body["download_url"], f"/api/v1/attachments/{body['id']}"):
        assert other_expert.get(path).status_code == 404
    assert body["id"] not in [a["id"] for a in other_expert.get("/api/v1/attachments").json()["items"]]
    as_moderator = TestClient(app, base_url="https://testserver")
    as_moderator.headers["Authorization"] = f"Bearer {make_token(database, moderator)}"
    assert as_moderator.get(body["download_url"]).status_code == 200
    # Guessing ids of documents that do not exist answers the same 404.
    assert other_expert.get("/api/v1/attachments/999999/download").status_code == 404
    anonymous = TestClient(app, base_url="https://testserver")
    assert anonymous.get(body["download_url"]).status_code == 401


def test_only_the_author_or_a_moderator_attaches(app, database, post):
    stranger = TestClient(app, base_url="https://testserver")
    stranger.headers["Authorization"] = f"Bearer {make_token(database, make_user(database))}"
    response = upload(stranger, post.id, "x.pdf", files.pdf_with_text("x"))
    assert response.status_code == 403
    assert upload(stranger, 999999, "x.pdf", files.pdf_with_text("x")).status_code == 404


def test_the_attach_button_shows_where_attaching_is_allowed(app, database, signed_in, post):
    """A moderator of another sector sees no "Attach documents" on a member's post and may not
    attach; one of the post's sector sees it and may."""
    from app.accounts.models import ModeratorSector
    from app.taxonomy.models import Sector

    elsewhere = make_user(database, role="moderator", email="scoped@example.org", name="Scoped Moderator")
    here = make_user(database, role="moderator", email="here@example.org", name="Sector Moderator")
    with database.unit_of_work() as session:
        tobacco = session.exec(select(Sector).where(Sector.slug == "tobacco")).one()
        pesticides = session.exec(select(Sector).where(Sector.slug == "pesticides-agrochemicals")).one()
        session.add(ModeratorSector(user_id=elsewhere.id, sector_id=tobacco.id))
        session.add(ModeratorSector(user_id=here.id, sector_id=pesticides.id))
    link = f'href="/posts/{post.id}/attachments/new"'
    for moderator, allowed in ((elsewhere, False), (here, True)):
        page = signed_in(moderator).get(f"/t/{post.thread_id}")
        assert page.status_code == 200 and (link in page.text) is allowed
        client = TestClient(app, base_url="https://testserver")
        client.headers["Authorization"] = f"Bearer {make_token(database, moderator)}"
        response = upload(client, post.id, "x.pdf", files.pdf_with_text("x"))
        assert response.status_code == (201 if allowed else 403)


def test_library_filters_and_tag_edits(api, database, expert, store):
    tobacco = make_thread(database, expert, sector="tobacco", jurisdictions=["KE"])
    pesticides = make_thread(database, expert, sector="pesticides-agrochemicals", jurisdictions=["FR"])
    judgment = upload(
        api,
        make_reply(database, expert, tobacco).id,
        "j.pdf",
        files.pdf_with_text("j"),
        kind="case_law",
        tags="excise",
    ).json()
    statute = upload(
        api,
        make_reply(database, expert, pesticides).id,
        "s.docx",
        files.docx_with_text("s"),
        kind="legislation",
        tags="labelling",
        language="en",
    ).json()

    def ids(**params):
        return [item["id"] for item in api.get("/api/v1/attachments", params=params).json()["items"]]

    assert ids() == [statute["id"], judgment["id"]]
    assert ids(kind="case_law") == [judgment["id"]]
    assert ids(jurisdiction="fr") == [statute["id"]]
    assert ids(sector="tobacco") == [judgment["id"]]
    assert ids(tag="labelling") == [statute["id"]] and ids(language="en") == [statute["id"]]
    assert ids(uploader=expert.handle) == [statute["id"], judgment["id"]]
    patched = api.patch(
        f"/api/v1/attachments/{judgment['id']}", json={"kind": "guidance", "tags": ["Sentencing"]}
    )
    assert patched.json()["kind"] == "guidance" and patched.json()["tags"] == ["sentencing"]
    assert api.patch(f"/api/v1/attachments/{judgment['id']}", json={"kind": "poem"}).status_code == 422


def test_pages_upload_show_and_list(signed_in, database, expert, post):
    client = signed_in(expert)
    form = client.get(f"/posts/{post.id}/attachments/new")
    token = csrf_from(form.text)
    without_token = client.post(
        f"/posts/{post.id}/attachments",
        files={"file": ("r.pdf", files.pdf_with_text("r"), "application/pdf")},
    )
    assert without_token.status_code == 403
    response = client.post(
        f"/posts/{post.id}/attachments?csrf_token={token}",
        files={"file": ("ruling.pdf", files.pdf_with_text("ruling"), "application/pdf")},
        data={"kind": "case_law", "tags": "appeal", "language": "fr"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    thread_page = client.get(response.headers["location"])
    assert "ruling.pdf" in thread_page.text
    attachment_id = thread_page.text.split('href="/attachments/', 1)[1].split('"', 1)[0]
    page = client.get(f"/attachments/{attachment_id}")
    assert "Judgment / case law" in page.text and "#appeal" in page.text
    assert "ruling.pdf" in client.get("/library?kind=case_law&jurisdiction=FR").text
    refused = client.post(
        f"/posts/{post.id}/attachments?csrf_token={token}",
        files={"file": ("x.svg", files.SVG_WITH_SCRIPT, "image/svg+xml")},
        data={"kind": "other"},
    )
    assert refused.status_code == 415 and "Accepted: PDF" in refused.text


def test_attach_while_writing_leads_to_the_upload_form(signed_in, database, expert):
    client = signed_in(expert)
    token = csrf_from(client.get("/threads/new").text)
    response = client.post(
        "/threads/new",
        data={
            "title": "With documents",
            "sector": "tobacco",
            "jurisdictions": ["FR"],
            "body": "See attached.",
            "attach": "1",
            "action": "publish",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/attachments/new")
    assert "Upload documents" in client.get(response.headers["location"]).text
