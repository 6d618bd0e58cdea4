"""The OpenAPI document tells the truth about the API: schemathesis, run against a live server with an
admin's token, finds no undocumented status, no body outside its schema, no undocumented content
type and no server error. Objects exist for the path ids it is given (a thread, a reply, a
document, a member, a saved search, an invitation), so the checks reach past 404.

The run is reproducible: a fixed seed (FORUM_SCHEMATHESIS_SEED to try another) and a bounded number
of examples per operation (FORUM_SCHEMATHESIS_EXAMPLES)."""

import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.attachments import files
from tests.conftest import fresh_database_url
from tests.live import ROOT, live_server

CHECKS = "status_code_conformance,response_schema_conformance,content_type_conformance,not_a_server_error"
SEED = os.environ.get("FORUM_SCHEMATHESIS_SEED", "20261207")
EXAMPLES = os.environ.get("FORUM_SCHEMATHESIS_EXAMPLES", "25")


def _seed(url: str, token: str) -> dict[str, object]:
    """The objects whose ids the run is given; ids are read back, not assumed."""
    api = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, trust_env=False, timeout=30
    )

    def ok(response):
        assert response.status_code in (200, 201), (response.request.url, response.text)
        return response.json()

    thread = ok(
        api.post(
            "/api/v1/threads",
            json={
                "title": "Controlled deliveries of counterfeit medicines",
                "body": "Opening analysis.",
                "sector": "medical-products",
                "jurisdictions": ["FR", "european-union"],
                "tags": ["controlled-delivery"],
            },
        )
    )
    reply = ok(api.post(f"/api/v1/threads/{thread['id']}/posts", json={"body": "A reply with a ruling."}))
    document = ok(
        api.post(
            f"/api/v1/posts/{reply['id']}/attachments",
            files={"file": ("ruling.pdf", files.pdf_with_text("Cour de cassation"), "application/pdf")},
            data={"kind": "case_law"},
        )
    )
    saved = ok(api.post("/api/v1/saved-searches", json={"q": "counterfeit", "name": "Counterfeits"}))
    invitation = ok(api.post("/api/v1/invitations", json={"email": "expert@example.org", "role": "expert"}))
    invite_token = urllib.parse.parse_qs(urllib.parse.urlsplit(invitation["url"]).query)["token"][0]
    member = ok(
        httpx.post(
            f"{url}/api/v1/register",
            json={"token": invite_token, "name": "Eva Expert", "password": "a long expert passphrase"},
            trust_env=False,
        )
    )
    pending = ok(api.post("/api/v1/invitations", json={"email": "pending@example.org", "role": "expert"}))
    return {
        "thread_id": thread["id"],
        "post_id": reply["id"],
        "attachment_id": document["id"],
        "saved_id": saved["id"],
        "user_id": member["id"],
        "invitation_id": pending["id"],
        "name": "controlled-delivery",
    }


def _config(path: Path, parameters: dict[str, object]) -> Path:
    lines = ["[parameters]"] + [
        f'"path.{key}" = {value!r}'.replace("'", '"') for key, value in parameters.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_api_answers_only_what_its_openapi_document_says(tmp_path, engine):
    url, drop = fresh_database_url(engine, tmp_path)
    try:
        _run(tmp_path, {"FORUM_DATABASE_URL": url} if engine == "postgresql" else {})
    finally:
        drop()


def _run(tmp_path: Path, env: dict[str, str]) -> None:
    with live_server(tmp_path / "data", env=env) as server:
        token = server.admin_token()
        config = _config(tmp_path / "schemathesis.toml", _seed(server.url, token))
        for path in ("/openapi.json", "/api/v1/openapi.json"):
            document = httpx.get(f"{server.url}{path}", trust_env=False)
            assert document.status_code == 200 and "/api/v1/threads" in document.json()["paths"]
            assert not any(not name.startswith("/api/") for name in document.json()["paths"])
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(config),
                "--no-color",
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                CHECKS,
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                EXAMPLES,
                "--seed",
                SEED,
                "--report-dir",
                str(tmp_path / "report"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if result.returncode != 0:
        pytest.fail(
            f"schemathesis found failures (seed {SEED}):\n{result.stdout[-12000:]}{result.stderr[-3000:]}"
        )
    # Every generated case passed, and there were many of them (a run that tested nothing would not).
    counted = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counted and counted.group(1) == counted.group(2), result.stdout[-2000:]
    assert int(counted.group(1)) >= 1000, result.stdout[-2000:]
