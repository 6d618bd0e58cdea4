"""What user Markdown may become in a page: the features legal analyses need, and nothing that runs."""

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.sanitize import ALLOWED_TAGS, clean_html, render_markdown, render_plain

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "xss" / "xss-payload-list.txt"

# The specification, written out again on purpose: widening app.sanitize's allow-list must also
# widen this, by someone who means it.
POST_TAGS = {
    "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "sup", "section",
}  # fmt: skip
POST_ATTRIBUTES = {
    "a": {"href", "title", "id", "class", "rel"},
    "li": {"id", "class"},
    "ol": {"start", "class"},
    "th": {"align"},
    "td": {"align"},
    "sup": {"class"},
    "hr": {"class"},
    "section": {"class"},
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "cite"}
SAFE_SCHEMES = {"http", "https", "mailto"}
REL = "nofollow noopener noreferrer"
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# Browsers ignore leading controls and spaces and drop tabs and newlines anywhere (`java\tscript:` runs);
# removing every control character and space is stricter still.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")

FEATURES = """\
# Title
## Section
### Sub
#### Four
##### Five
###### Six

Text with *emphasis*, **strong**, ~~struck~~, `code`, a [link](https://example.org "Example"),
an autolink <https://example.org/a>, [mail](mailto:clerk@example.org) and a hard\\
break.

> A quoted holding.

- one
- two

3. three
4. four

```python
if x < 1 and y > 2: print("<script>")
```

---

| Article | Penalty | Years |
|:--------|:-------:|------:|
| 12      | fine    | 2     |

The court held so.[^holding]

[^holding]: Case C-123/45, para. 6.
"""


class _Audit(HTMLParser):
    """Everything in a rendered fragment that a sanitised post must not contain."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in POST_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction", "target"}:
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name not in POST_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} not allowed on <{tag}>")
            if name in URL_ATTRIBUTES:
                url = _IGNORED_IN_URL.sub("", value or "").lower()
                scheme = _SCHEME.match(url)
                if scheme and scheme.group(1) not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")


def audit(fragment: str) -> _Audit:
    parser = _Audit()
    parser.feed(fragment)
    parser.close()
    return parser


def elements(fragment: str) -> list[tuple[str, dict[str, str | None]]]:
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(fragment)
    return found


def links(fragment: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in elements(fragment) if tag == "a"]


def test_every_feature_renders_with_exactly_the_allowed_tags():
    rendered = audit(render_markdown(FEATURES))
    assert rendered.problems == []
    # The allow-list is what the renderer emits, no more and no less.
    assert rendered.tags == POST_TAGS == ALLOWED_TAGS


def test_headings_are_downgraded_below_the_page_structure():
    html = render_markdown(FEATURES)
    tags = [tag for tag, _ in elements(html) if re.fullmatch(r"h\d", tag)]
    assert tags == ["h3", "h4", "h5", "h6", "h6", "h6"]
    assert render_markdown("# Title").strip() == "<h3>Title</h3>"
    assert render_markdown("Setext\n======").strip() == "<h3>Setext</h3>"


def test_table_keeps_column_alignment_without_style_attributes():
    html = render_markdown(FEATURES)
    assert '<th align="left">Article</th>' in html
    assert '<td align="center">fine</td>' in html
    assert '<td align="right">2</td>' in html
    assert "style" not in html


def test_strikethrough():
    assert render_markdown("~~repealed~~").strip() == "<p><s>repealed</s></p>"


def test_footnote_reference_and_back_link_point_at_each_other_on_the_same_page():
    html = render_markdown("Held.[^1]\n\n[^1]: Case C-1/23.")
    ids = {attrs["id"] for _, attrs in elements(html) if attrs.get("id")}
    fragment_links = [a["href"] for a in links(html) if (a["href"] or "").startswith("#")]
    reference = [a for a in links(html) if a.get("id", "") and a["id"].startswith("fnref")]
    back_link = [a for a in links(html) if a.get("class") == "footnote-backref"]
    assert len(reference) == 1 and len(back_link) == 1
    assert reference[0]["href"] == "#" + next(i for i in ids if i.startswith("fn-"))
    assert back_link[0]["href"] == "#" + reference[0]["id"]
    assert fragment_links and all(href[1:] in ids for href in fragment_links)
    assert "Case C-1/23." in html


def test_footnotes_of_two_posts_on_one_page_do_not_share_ids():
    first = render_markdown("One.[^1]\n\n[^1]: First note.")
    second = render_markdown("Two.[^1]\n\n[^1]: Second note.")
    ids = [{attrs["id"] for _, attrs in elements(html) if attrs.get("id")} for html in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]


def test_code_is_escaped():
    html = render_markdown(FEATURES)
    assert "&lt;script&gt;" in html and "<script" not in html
    assert "<code>" in html  # the fence's user-chosen language class is dropped


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>x</b> and <script>alert(1)</script>").strip() == (
        "<p>&lt;b&gt;x&lt;/b&gt; and &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_links_get_rel_and_no_target():
    html = render_markdown("[a](https://example.org) <https://example.org/b> [m](mailto:a@example.org)")
    assert [(a["href"], a["rel"]) for a in links(html)] == [
        ("https://example.org", REL),
        ("https://example.org/b", REL),
        ("mailto:a@example.org", REL),
    ]
    assert ">https://example.org/b</a>" in html
    assert "target" not in clean_html('<a href="https://example.org" target="_blank">x</a>')


def test_relative_links_stay():
    assert links(render_markdown("[thread](/threads/3) [note](#fn1)")) == [
        {"href": "/threads/3", "rel": REL},
        {"href": "#fn1", "rel": REL},
    ]


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#09;script:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](data:image/png;base64,iVBORw0KGgo=)",
        "<javascript:alert(1)>",
        "[x]: javascript:alert(1)\n\n[x]",
        "![x](javascript:alert(1))",
    ],
)
def test_script_urls_never_become_links(source):
    html = render_markdown(source)
    assert audit(html).problems == []
    for a in links(html):
        href = _IGNORED_IN_URL.sub("", a.get("href") or "").lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), html


def test_images_become_links_not_img():
    html = render_markdown('![Seized goods](https://example.org/y.png "Port of Hamburg")')
    assert "<img" not in html
    assert links(html) == [{"href": "https://example.org/y.png", "title": "Port of Hamburg", "rel": REL}]
    assert ">Seized goods</a>" in html
    # A picture inside a link keeps its words, without nesting one link in another.
    nested = render_markdown("[![logo](https://example.org/l.png)](https://example.org)")
    assert [a["href"] for a in links(nested)] == ["https://example.org"] and ">logo</a>" in nested


def test_clean_html_applies_the_same_allow_list():
    html = clean_html(
        '<h1 lang="en" title="t">T</h1><p style="color:red" onclick="x()" id="csrf_token">a</p>'
        '<img src="x" onerror="alert(1)"><iframe src="https://example.org"></iframe>'
        '<li id="fn1" class="footnote-item evil">n</li><svg><script>alert(1)</script></svg>'
        '<a href="javascript:alert(1)" class="button">b</a>'
    )
    # nh3 leaves an empty class="" where it removed every class: harmless.
    assert html == f'T<p>a</p><li id="fn1" class="footnote-item">n</li><a class="" rel="{REL}">b</a>'


def test_plain_text_has_no_tags_and_decoded_entities():
    text = render_plain(FEATURES)
    code_sample = 'if x < 1 and y > 2: print("<script>")'  # typed by the author, kept as characters
    assert code_sample in text
    assert "<" not in text.replace(code_sample, "") and "&" not in text
    assert "↩" not in text and "\n" not in text and "  " not in text
    assert text.startswith("Title Section Sub Four Five Six Text with emphasis, strong, struck, code,")
    assert text.endswith(") Article Penalty Years 12 fine 2 The court held so.[1] Case C-123/45, para. 6.")
    assert render_plain("<b>bold</b> &amp; &copy; &lt;i&gt; A&nbsp;B") == "<b>bold</b> & © <i> A B"


def test_empty_source_renders_nothing():
    assert render_markdown("") == "" and render_plain("") == ""


def test_plain_text_of_simple_markup():
    assert render_plain("**Bold** and [a link](https://example.org)\n\n- one\n- two") == (
        "Bold and a link one two"
    )


@pytest.fixture(scope="module")
def payloads() -> list[str]:
    if not CORPUS.is_file():
        # A checkout without ../shared may skip; CI has the corpus, so there its absence is a failure.
        reason = f"XSS corpus not found at {CORPUS} (see its README in shared/corpora/xss/)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) > 6000, "the corpus is truncated"
    return lines


# Every place one payload can sit in a post, and clean_html() on the payload as HTML.
PLACES = {
    "raw": "{}",
    "link text": "[{}](https://example.org)",
    "link url": "[x](<{}>)",
    "table cell": "| a | b |\n|---|---|\n| {} | c |",
    "footnote": "Held.[^1]\n\n[^1]: {}",
}


@pytest.mark.parametrize("place", [*PLACES, "clean_html"])
def test_xss_corpus_renders_nothing_that_runs(payloads, place):
    def render(payload: str) -> str:
        if place == "clean_html":
            return clean_html(payload)
        return render_markdown(PLACES[place].format(payload))

    failures: list[str] = []
    for payload in payloads:
        html = render(payload)
        problems = audit(html).problems
        if problems:
            failures.append(f"{payload!r} -> {problems} in {html!r}")
    if failures:
        print(f"{place}: {len(failures)} payloads got through; the first 10:", *failures[:10], sep="\n")
    assert failures == []
