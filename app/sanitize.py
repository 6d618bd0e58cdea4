"""Markdown → safe HTML: the only module that imports nh3 and holds the allow-list.

Posts are rendered once, when they are written, and the stored HTML is shown as is; so everything that
decides what user text may become in a page lives here, and swapping the sanitiser is a one-file change.
"""

import hashlib
import html
import re
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

# Exactly what the Markdown below emits, checked by rendering a document that uses every feature
# (tests/test_sanitize.py). No h1/h2: those belong to the page. No img: pictures will come as
# attachments served with their own guards, never as hotlinks that tell a third party who reads what.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "sup", "section",
    }
)  # fmt: skip

# "*" is given, empty, on purpose: without it nh3 keeps its default lang and title on every tag.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),
    "a": {"href", "title", "id"},  # id: footnote reference (fnref…)
    "li": {"id"},  # footnote target (fn…)
    "ol": {"start"},
}

# Column alignment from tables, as `align` rather than `style` (style attributes stay banned, and a
# strict CSP would block them anyway).
ALLOWED_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "th": {"align": {"left", "center", "right"}},
    "td": {"align": {"left", "center", "right"}},
}

# Only the footnote plugin's classes; code fences' `language-…` classes are user-chosen and dropped.
ALLOWED_CLASSES: dict[str, set[str]] = {
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
}

# Relative URLs (/threads/3, #fn-…-1) pass through: they stay on this site.
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

# Ids are the only attribute that can reach outside the post (DOM clobbering, hijacking the page's
# own anchors), so only the footnote plugin's shape of id survives, also in clean_html().
_FOOTNOTE_ID = re.compile(r"fn(?:ref)?(?:-[0-9a-f]{1,64}-)?[0-9]{1,6}(?::[0-9]{1,6})?")


def _keep_footnote_ids(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id" and not _FOOTNOTE_ID.fullmatch(value):
        return None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_footnote_ids,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)
_text_only = nh3.Cleaner(tags=set(), attributes={"*": set()}, link_rel=None)


def _heading_tag(tag: str) -> str:
    # `#` becomes h3: the page owns h1 (its title) and h2 (its sections).
    return f"h{min(int(tag[1]) + 2, 6)}"


def _images_as_links(children: list[Token]) -> list[Token]:
    """`![alt](url)` becomes a plain link to the picture, so the text and the source stay visible."""
    result: list[Token] = []
    link_depth = 0
    for token in children:
        if token.type == "link_open":
            link_depth += 1
        elif token.type == "link_close":
            link_depth -= 1
        if token.type != "image":
            result.append(token)
            continue
        alt = list(token.children or [])
        if link_depth:  # a link inside a link is invalid HTML: keep only the words
            result.extend(alt)
            continue
        link_open = Token("link_open", "a", 1)
        link_open.attrs = {"href": token.attrGet("src") or ""}
        if token.attrGet("title"):
            link_open.attrs["title"] = token.attrGet("title")
        if not alt:
            text = Token("text", "", 0)
            text.content = str(token.attrGet("src") or "")
            alt = [text]
        result.extend([link_open, *alt, Token("link_close", "a", -1)])
    return result


def _post_rules(state: StateCore) -> None:
    """Fit the token stream to the allow-list before rendering, rather than patching the HTML after."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _heading_tag(token.tag)
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrs["align"] = style.removeprefix("text-align:")
        elif token.type == "inline" and token.children:
            token.children = _images_as_links(token.children)


_PLAIN = "sanitize_plain"


def _footnote_anchor(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # The back-link arrow means nothing in a snippet or a mail.
    return "" if env.get(_PLAIN) else _plugin_footnote_anchor(tokens, idx, options, env)


# Raw HTML off: `<b>` in a post is text. Typographer off: legal text is quoted as typed.
_md = (
    MarkdownIt("commonmark", {"html": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .use(footnote_plugin)
)
_md.core.ruler.push("forum_post_rules", _post_rules)
_plugin_footnote_anchor = _md.renderer.rules["footnote_anchor"]
_md.add_render_rule("footnote_anchor", _footnote_anchor)


def _render(source: str, env: dict) -> str:
    # Footnote ids carry a digest of the text, so several posts on one thread page do not share
    # `fn1` and each [1] jumps to its own post's note (same text, same notes: no harm).
    env["docId"] = hashlib.sha256(source.encode()).hexdigest()[:10]
    return _md.render(source, env)


def clean_html(html_fragment: str) -> str:
    """Apply the allow-list to any HTML fragment (other modules never import nh3)."""
    return _cleaner.clean(html_fragment)


def render_markdown(source: str) -> str:
    """Markdown (CommonMark, tables, strikethrough, footnotes) → sanitised HTML, to store with the post."""
    return clean_html(_render(source, {}))


def render_plain(source: str) -> str:
    """Markdown → one line of plain text, for snippets, notifications and mail.

    The result is text, not HTML: entities are decoded, so it must be escaped wherever it is put
    into HTML (Jinja's autoescape does this).
    """
    text = html.unescape(_text_only.clean(clean_html(_render(source, {_PLAIN: True}))))
    return " ".join(text.split())
