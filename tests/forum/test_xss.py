"""XSS payloads through the whole stack: titles, tags, display names and post bodies, as pages show them.

tests/test_sanitize.py feeds all 6,613 payloads of the corpus through the Markdown pipeline; here a
deterministic slice of them goes in through the services and comes out through the real pages, so
escaping in templates (titles, tags, names, notifications) is tested too."""

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.factories import make_reply, make_thread, make_user

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "xss" / "xss-payload-list.txt"
STEP = int(os.environ.get("FORUM_XSS_STEP", "13"))  # every 13th payload: about 510 of 6,613
OUR_SCRIPTS = {"/static/js/site.js"}
BANNED_TAGS = {
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "img",
    "video",
    "audio",
    "base",
    "meta",
    "link",
    "style",
    "frame",
    "frameset",
    "applet",
    "form",
}


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src") not in OUR_SCRIPTS:
            self.problems.append(f"script {attrs}")
        if (
            tag in BANNED_TAGS
            and not (
                tag == "link"
                and attributes.get("rel") == "stylesheet"
                and attributes.get("href") == "/static/css/site.css"
            )
            and not (tag == "meta" and set(attributes) <= {"charset", "name", "content"})
            and not (tag == "form" and (attributes.get("action") or "").startswith("/"))
        ):
            self.problems.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"{tag} {name}={value!r}")
            if name in ("href", "src", "action", "data", "xlink:href") and value:
                compact = "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).lower()
                if compact.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"{tag} {name}={value!r}")


def problems_in(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    return inspector.problems


@pytest.fixture(scope="module")
def payloads() -> list[str]:
    if not CORPUS.exists():
        skip_or_fail(f"XSS corpus not found at {CORPUS}")
    lines = [
        line for line in CORPUS.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()
    ]
    return lines[::STEP]


def test_the_inspector_catches_what_it_should():
    assert problems_in('<a href=" JaVa\tScRiPt:alert(1)">x</a>')
    assert problems_in('<div onclick="x()">x</div>') and problems_in("<script>alert(1)</script>")
    assert not problems_in('<a href="/t/1">x</a><script src="/static/js/site.js"></script>')


def test_payloads_in_titles_tags_names_and_posts_are_inert(signed_in, database, expert, payloads):
    authors = [
        make_user(database, name=payload[:120] or "x") for payload in payloads[:: max(1, len(payloads) // 12)]
    ]
    threads = []
    for number, payload in enumerate(payloads):
        author = authors[number % len(authors)]
        threads.append(
            make_thread(
                database,
                author,
                title=payload[:200].strip() or "x",
                body=payload,
                tags=[payload[:60]] if payload.strip() else [],
            )
        )
    # Replies that mention the expert put the payload names into their notifications page.
    watched = make_thread(database, expert, title="Watched")
    for author in authors:
        make_reply(database, author, watched, "@" + expert.handle + " " + author.display_name)
    client = signed_in(expert)
    found: dict[str, list[str]] = {}
    pages = ["/", "/notifications", "/bookmarks", "/coverage", f"/t/{watched.id}"]
    cursor = None
    while True:
        path = "/threads" + (f"?cursor={cursor}" if cursor else "")
        response = client.get(path)
        found.update({path: problems_in(response.text)})
        marker = response.text.split('rel="next"')[0]
        if 'rel="next"' not in response.text:
            break
        cursor = marker.rsplit("cursor=", 1)[1].split('"', 1)[0]
    pages += [f"/t/{thread.id}" for thread in threads[::8]]
    pages += [f"/tag/{tag}" for tag in ("script", "alert(1)")]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        found[path] = problems_in(response.text)
    bad = {path: issues for path, issues in found.items() if issues}
    assert bad == {}, list(bad.items())[:5]
