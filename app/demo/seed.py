"""`forum seed-demo`: a deterministic, realistic demo corpus, fast enough for load benchmarks.

Two steps. `plan_corpus()` is pure: from the taxonomy already in the database, the first free id of
each table and a seed, it returns every row (members, tags, threads and their taxonomy links, posts
with their revisions) without touching the database; the same arguments give the same rows.
`seed_demo()` writes that plan with Core bulk inserts, a batch of posts per transaction.

Choices that make it fast and repeatable:

- Ids are assigned here, in chronological order (threads by creation time, posts by time across
  all threads), starting after the largest id of each table, so the materialised paths and thread
  counters are computed before anything is inserted. PostgreSQL sequences are moved past them at
  the end.
- Times are spread over six years ending at the fixed `EPOCH_END` (2026-11-01 00:00 UTC), never the
  wall clock.
- Every post's text comes from its own `random.Random`, seeded from the corpus seed and the post's
  position, so a post's text does not depend on how the posts are batched.
- Every member gets the same password hash, computed once: the demo password below. That hash is
  the one value that differs between two runs with the same seed (argon2 salts are random).
"""

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate, islice
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.users import handle_base
from app.cache import bump
from app.db import Database
from app.forum.models import (
    Post,
    PostRevision,
    PostState,
    Thread,
    ThreadInstrument,
    ThreadJurisdiction,
    ThreadTag,
)
from app.sanitize import render_markdown
from app.search import index as search_index
from app.security import hash_password
from app.taxonomy.models import Instrument, Jurisdiction, Sector, Tag
from app.taxonomy.service import normalise_tag, slugify

DEMO_PASSWORD = "demo passphrase 2026"  # noqa: S105 - printed on purpose: it is the demo's sign-in
EPOCH_END = datetime(2026, 11, 1)
SPAN_DAYS = 6 * 365
EPOCH_START = EPOCH_END - timedelta(days=SPAN_DAYS)
POST_BATCH = 2000
MAX_POSTS_PER_THREAD = 1200

# --- Vocabulary ----------------------------------------------------------------------------------

# The words the corpus is made of are data (vocabulary.json): names per naming tradition and the
# countries that use each, organisations, each sector's goods, offences and agencies, and the
# sentence templates. Their order matters: the same seed draws the same words.


@dataclass(frozen=True)
class SectorWords:
    goods: list[str]
    offences: list[str]
    units: list[str]
    acts: list[str]
    agencies: list[str]
    instruments: list[str]  # slugs, most relevant first
    tags: list[str]


_VOCABULARY = json.loads((Path(__file__).parent / "vocabulary.json").read_text(encoding="utf-8"))
# (first names, family names) per naming tradition; COUNTRY_NAMES says which countries use which.
NAMES: dict[str, tuple[list[str], list[str]]] = {
    pool: (firsts, lasts) for pool, (firsts, lasts) in _VOCABULARY["NAMES"].items()
}
COUNTRY_NAMES: dict[str, str] = _VOCABULARY["COUNTRY_NAMES"]
# Country names that read better with an article in running text ("in the Netherlands").
WITH_ARTICLE = set(_VOCABULARY["WITH_ARTICLE"])
ORGANISATIONS = [tuple(entry) for entry in _VOCABULARY["ORGANISATIONS"]]
INTERNATIONAL_ORGANISATIONS = [tuple(entry) for entry in _VOCABULARY["INTERNATIONAL_ORGANISATIONS"]]
SECTOR_WORDS = {slug: SectorWords(**words) for slug, words in _VOCABULARY["SECTOR_WORDS"].items()}
GENERIC_WORDS = SectorWords(**_VOCABULARY["GENERIC_WORDS"])
REGION_COURTS = _VOCABULARY["REGION_COURTS"]
TAG_VOCABULARY = _VOCABULARY["TAG_VOCABULARY"]
TITLES = _VOCABULARY["TITLES"]
OPENING_LEADS = _VOCABULARY["OPENING_LEADS"]
ANALYSIS = _VOCABULARY["ANALYSIS"]
REPLY_LEADS = _VOCABULARY["REPLY_LEADS"]
REPLY_BODY = _VOCABULARY["REPLY_BODY"]
CLOSINGS = _VOCABULARY["CLOSINGS"]
LIST_INTROS = _VOCABULARY["LIST_INTROS"]
LIST_ITEMS = _VOCABULARY["LIST_ITEMS"]
PROVISIONS = _VOCABULARY["PROVISIONS"]
EDIT_NOTES = _VOCABULARY["EDIT_NOTES"]
EDIT_REASONS = _VOCABULARY["EDIT_REASONS"]
HIDDEN_REASONS = _VOCABULARY["HIDDEN_REASONS"]
HOLDINGS = _VOCABULARY["HOLDINGS"]
QUESTIONS = _VOCABULARY["QUESTIONS"]
OBLIGATIONS = _VOCABULARY["OBLIGATIONS"]
MENTAL = _VOCABULARY["MENTAL"]
ACTORS = _VOCABULARY["ACTORS"]
EVIDENCE = _VOCABULARY["EVIDENCE"]
DEFENCES = _VOCABULARY["DEFENCES"]
CONDITIONS = _VOCABULARY["CONDITIONS"]
COOPERATION = _VOCABULARY["COOPERATION"]
AGGRAVATING = _VOCABULARY["AGGRAVATING"]
TERMS = _VOCABULARY["TERMS"]
ISSUES = _VOCABULARY["ISSUES"]
COURTS = _VOCABULARY["COURTS"]
PLACES = _VOCABULARY["PLACES"]
PORTS = _VOCABULARY["PORTS"]
LABS = _VOCABULARY["LABS"]
FINDINGS = _VOCABULARY["FINDINGS"]
COVERS = _VOCABULARY["COVERS"]
PERMISSIONS = _VOCABULARY["PERMISSIONS"]
MONTHS = _VOCABULARY["MONTHS"]


# --- Text ----------------------------------------------------------------------------------------


def _cap(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


@dataclass
class _Context:
    """What a post's text may refer to: its thread's sector, jurisdictions, instruments, its parent."""

    words: SectorWords
    countries: list[str]  # display names, with an article where one is needed
    courts: list[str]  # courts of the thread's jurisdictions ("the Supreme Court of Kenya")
    instruments: list[str]
    all_countries: list[str]
    surnames: list[str]
    pname: str = ""
    phandle: str = ""


class _Slots(dict):
    """format_map() target: each placeholder is drawn when a template asks for it."""

    def __init__(self, rng: random.Random, ctx: _Context):
        super().__init__()
        self.rng = rng
        self.ctx = ctx

    def __missing__(self, key: str) -> str:
        value = _SLOT_MAKERS[key](self.rng, self.ctx, self)
        self[key] = value
        return value


def _country(rng: random.Random, ctx: _Context, _slots) -> str:
    return (
        rng.choice(ctx.countries) if ctx.countries and rng.random() < 0.85 else rng.choice(ctx.all_countries)
    )


def _other_country(rng: random.Random, ctx: _Context, slots) -> str:
    first = slots.get("J")
    for _ in range(4):
        choice = rng.choice(ctx.all_countries)
        if choice != first:
            return choice
    return choice


def _court_j(rng: random.Random, ctx: _Context, _slots) -> str:
    if ctx.courts and rng.random() < 0.8:
        return rng.choice(ctx.courts)
    return f"{rng.choice(COURTS)} of {rng.choice(ctx.all_countries)}"


def _case(rng: random.Random, ctx: _Context, _slots) -> str:
    year = rng.randint(2008, 2026)
    number = rng.randint(3, 2400)
    form = rng.randrange(5)
    if form == 0:
        return f"Case No. {number}/{year}"
    if form == 1:
        return f"Criminal Appeal No. {number} of {year}"
    if form == 2:
        return f"State v. {rng.choice(ctx.surnames)}"
    if form == 3:
        return f"Prosecutor v. {rng.choice(ctx.surnames)} and Others ({year})"
    return f"Judgment {number}/{year}"


def _instrument(rng: random.Random, ctx: _Context, _slots) -> str:
    if ctx.instruments and rng.random() < 0.85:
        return rng.choice(ctx.instruments)
    return "UNTOC"


_SLOT_MAKERS = {
    "J": _country,
    "J2": _other_country,
    "court_j": _court_j,
    "court": lambda rng, ctx, s: rng.choice(COURTS),
    "case": _case,
    "I": _instrument,
    "goods": lambda rng, ctx, s: rng.choice(ctx.words.goods),
    "goods_cap": lambda rng, ctx, s: _cap(rng.choice(ctx.words.goods)),
    "offence": lambda rng, ctx, s: rng.choice(ctx.words.offences),
    "unit": lambda rng, ctx, s: rng.choice(ctx.words.units),
    "act": lambda rng, ctx, s: rng.choice(ctx.words.acts),
    "act_bare": lambda rng, ctx, s: rng.choice(ctx.words.acts).removeprefix("the "),
    "agency": lambda rng, ctx, s: rng.choice(ctx.words.agencies),
    "agency_cap": lambda rng, ctx, s: _cap(rng.choice(ctx.words.agencies)),
    "qty": lambda rng, ctx, s: (
        f"{rng.choice((12, 40, 85, 120, 300, 640, 1200, 2500, 18000)) + rng.randint(0, 9):,}"
    ),
    "years": lambda rng, ctx, s: str(rng.choice((3, 5, 7, 8, 10, 12, 15, 20))),
    "years_low": lambda rng, ctx, s: rng.choice(
        ("a suspended sentence", "one year", "two years", "18 months")
    ),
    "fine": lambda rng, ctx, s: rng.choice(("EUR 50,000", "USD 100,000", "ten times the value of the goods")),
    "year": lambda rng, ctx, s: str(rng.randint(2012, 2025)),
    "year_next": lambda rng, ctx, s: str(rng.randint(2025, 2027)),
    "month": lambda rng, ctx, s: rng.choice(MONTHS),
    "months": lambda rng, ctx, s: str(rng.randint(4, 30)),
    "art": lambda rng, ctx, s: str(rng.randint(2, 34)),
    "place": lambda rng, ctx, s: rng.choice(PLACES).format_map(s),
    "port": lambda rng, ctx, s: rng.choice(PORTS),
    "cover": lambda rng, ctx, s: rng.choice(COVERS),
    "issue": lambda rng, ctx, s: rng.choice(ISSUES),
    "holding": lambda rng, ctx, s: rng.choice(HOLDINGS),
    "question": lambda rng, ctx, s: rng.choice(QUESTIONS),
    "obligation": lambda rng, ctx, s: rng.choice(OBLIGATIONS),
    "mental": lambda rng, ctx, s: rng.choice(MENTAL),
    "actor": lambda rng, ctx, s: rng.choice(ACTORS),
    "evidence": lambda rng, ctx, s: rng.choice(EVIDENCE),
    "evidence2": lambda rng, ctx, s: rng.choice(EVIDENCE),
    "defence": lambda rng, ctx, s: rng.choice(DEFENCES),
    "condition": lambda rng, ctx, s: rng.choice(CONDITIONS),
    "coop": lambda rng, ctx, s: rng.choice(COOPERATION),
    "coop_cap": lambda rng, ctx, s: _cap(rng.choice(COOPERATION)),
    "aggravating": lambda rng, ctx, s: rng.choice(AGGRAVATING),
    "term": lambda rng, ctx, s: f"“{rng.choice(TERMS)}”",
    "lab": lambda rng, ctx, s: rng.choice(LABS),
    "finding": lambda rng, ctx, s: rng.choice(FINDINGS),
    "permission": lambda rng, ctx, s: rng.choice(PERMISSIONS),
    "pname": lambda rng, ctx, s: ctx.pname or "colleagues",
    "phandle": lambda rng, ctx, s: ctx.phandle or "all",
}


def _fill(rng: random.Random, ctx: _Context, template: str) -> str:
    return _cap(template.format_map(_Slots(rng, ctx)))


def _sentences(rng: random.Random, ctx: _Context, templates: list[str], count: int, used: set[str]) -> str:
    """`count` sentences, avoiding the templates this post has used already (when it can)."""
    sentences = []
    for _ in range(count):
        template = rng.choice(templates)
        for _retry in range(3):
            if template not in used:
                break
            template = rng.choice(templates)
        used.add(template)
        sentences.append(_fill(rng, ctx, template))
    return " ".join(sentences)


def _key_sentence(rng: random.Random, ctx: _Context, opening: bool) -> tuple[str, str]:
    """The sentence a reply quotes, and its template: made from a random stream of its own, so that
    a reply can make its parent's again without making the whole parent."""
    template = rng.choice(ANALYSIS if opening else REPLY_BODY)
    return template, _fill(rng, ctx, template)


def _body(rng: random.Random, ctx: _Context, opening: bool, key: tuple[str, str], quote: str | None) -> str:
    """Markdown of one post: a paragraph to several, sometimes a list, a quote, a footnote, a table."""
    blocks: list[str] = []
    used = {key[0]}
    if opening:
        paragraphs = rng.choices((1, 2, 3, 4, 5), (15, 30, 25, 18, 12))[0]
    else:
        paragraphs = rng.choices((1, 2, 3, 4), (42, 32, 17, 9))[0]
    if quote and rng.random() < 0.5:
        blocks.append(f"{ctx.pname or 'A colleague'} wrote:\n> {quote}")
    elif rng.random() < (0.08 if opening else 0.04):
        blocks.append(f"> {rng.choice(PROVISIONS)}")
    headings = opening and paragraphs >= 3 and rng.random() < 0.35
    leads = OPENING_LEADS if opening else REPLY_LEADS
    more = ANALYSIS if opening else REPLY_BODY
    first = _fill(rng, ctx, rng.choice(leads)) + " " + key[1]
    extra = rng.randint(0, 2)
    if extra:
        first += " " + _sentences(rng, ctx, more, extra, used)
    if headings:
        blocks.append("### Facts")
    blocks.append(first)
    footnote = rng.random() < 0.06
    for number in range(1, paragraphs):
        if headings and number == 1:
            blocks.append("### Analysis")
        paragraph = _sentences(rng, ctx, more if rng.random() < 0.8 else ANALYSIS, rng.randint(2, 4), used)
        if footnote and number == 1:
            paragraph += "[^1]"
        blocks.append(paragraph)
    if rng.random() < (0.18 if opening else 0.10):
        items = rng.sample(LIST_ITEMS, rng.randint(2, 4))
        marker = "1." if rng.random() < 0.3 else "-"
        blocks.append(
            _fill(rng, ctx, rng.choice(LIST_INTROS))
            + "\n\n"
            + "\n".join(f"{marker} {_fill(rng, ctx, item)}." for item in items)
        )
    if rng.random() < (0.08 if opening else 0.02):
        rows = "\n".join(
            f"| {name[:1].upper() + name[1:]} | {rng.choice(ctx.words.acts).removeprefix('the ')} | "
            f"{rng.choice((2, 3, 5, 7, 10, 15))} years |"
            for name in dict.fromkeys(rng.choice(ctx.all_countries) for _ in range(rng.randint(2, 4)))
        )
        blocks.append(f"| Jurisdiction | Legal basis | Maximum penalty |\n| --- | --- | ---: |\n{rows}")
    if opening and rng.random() < 0.6:
        blocks.append(_fill(rng, ctx, rng.choice(CLOSINGS)))
    if footnote:
        if paragraphs == 1:
            blocks[-1] += "[^1]"
        blocks.append(_fill(rng, ctx, "[^1]: {case}, {court_j}, judgment of {month} {year}."))
    return "\n\n".join(blocks)


# --- The plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Taxonomy:
    """The rows of the taxonomy the corpus refers to, as read from the database."""

    sectors: list[tuple[int, str]]  # (id, slug)
    jurisdictions: list[tuple[int, str, str, str]]  # (id, code, name, kind)
    instruments: list[tuple[int, str, str]]  # (id, slug, short name)
    tags: dict[str, int]  # existing tags, name → id


@dataclass(frozen=True)
class StartIds:
    """The first id free in each table."""

    user: int = 1
    tag: int = 1
    thread: int = 1
    post: int = 1
    revision: int = 1


class PostPlan:
    __slots__ = (
        "author", "created", "depth", "edit", "hidden_reason", "id", "local", "ordinal", "parent", "path",
        "state", "thread",
    )  # fmt: skip

    def __init__(self, thread: int, local: int, parent: int, author: int, created: int):
        self.thread = thread  # index in Corpus.threads
        self.local = local  # position in its thread
        self.parent = parent  # ordinal of the parent post, -1 for an opening post
        self.author = author  # index in Corpus.users
        self.created = created  # seconds after EPOCH_START
        self.ordinal = 0  # position in the corpus (id order)
        self.id = 0
        self.path = ""
        self.depth = 0
        self.state = PostState.visible.value
        self.hidden_reason = ""
        # (seconds after EPOCH_START, editor index, reason, note template) for edited posts.
        self.edit: tuple[int, int, str, str] | None = None


@dataclass
class Corpus:
    seed: int
    users: list[dict]
    tags: list[dict]
    threads: list[dict]
    thread_jurisdictions: list[dict]
    thread_instruments: list[dict]
    thread_tags: list[dict]
    posts: list[PostPlan]
    revision_start: int
    contexts: list[_Context] = field(repr=False, default_factory=list)

    def _text_rng(self, ordinal: int, stream: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + ordinal) * 4 + stream)

    def _context(self, post: PostPlan) -> _Context:
        ctx = self.contexts[post.thread]
        if post.parent < 0:
            ctx.pname = ctx.phandle = ""
        else:
            parent_author = self.users[self.posts[post.parent].author]
            ctx.pname = parent_author["display_name"].split(" ")[0]
            ctx.phandle = parent_author["handle"]
        return ctx

    def key_sentence(self, post: PostPlan) -> tuple[str, str]:
        return _key_sentence(self._text_rng(post.ordinal, 0), self._context(post), post.parent < 0)

    def post_body(self, post: PostPlan) -> str:
        """The Markdown of a post as first written (revision 1)."""
        key = self.key_sentence(post)
        quote = self.key_sentence(self.posts[post.parent])[1] if post.parent >= 0 else None
        ctx = self._context(post)  # again: quoting the parent's text reset it to the parent's
        return _body(self._text_rng(post.ordinal, 1), ctx, post.parent < 0, key, quote)

    def iter_posts(self, render=render_markdown) -> Iterator[tuple[dict, list[dict]]]:
        """Each post's row (with its rendered HTML) and its revision rows, in id order."""
        revision_id = self.revision_start
        for post in self.posts:
            body = self.post_body(post)
            author_id = self.users[post.author]["id"]
            created = EPOCH_START + timedelta(seconds=post.created)
            revisions = [
                {
                    "id": revision_id,
                    "post_id": post.id,
                    "revision": 1,
                    "body": body,
                    "editor_id": author_id,
                    "reason": "",
                    "created_at": created,
                }
            ]
            revision_id += 1
            edited_at = None
            if post.edit is not None:
                edited, editor, reason, note = post.edit
                edited_at = EPOCH_START + timedelta(seconds=edited)
                ctx = self._context(post)
                body = body + "\n\n" + _fill(self._text_rng(post.ordinal, 2), ctx, note)
                revisions.append(
                    {
                        "id": revision_id,
                        "post_id": post.id,
                        "revision": 2,
                        "body": body,
                        "editor_id": self.users[editor]["id"],
                        "reason": reason,
                        "created_at": edited_at,
                    }
                )
                revision_id += 1
            row = {
                "id": post.id,
                "thread_id": self.threads[post.thread]["id"],
                "parent_id": self.posts[post.parent].id if post.parent >= 0 else None,
                "author_id": author_id,
                "body": body,
                "body_html": render(body),
                "revision": 2 if post.edit else 1,
                "state": post.state,
                "hidden_reason": post.hidden_reason if post.state == PostState.hidden else "",
                "created_at": created,
                "edited_at": edited_at,
                "path": post.path,
                "depth": post.depth,
            }
            yield row, revisions

    @property
    def revision_count(self) -> int:
        return len(self.posts) + sum(1 for p in self.posts if p.edit is not None)


def _display_country(code: str, name: str) -> str:
    return f"the {name}" if code in WITH_ARTICLE else name


def _plan_users(
    rng: random.Random,
    count: int,
    taxonomy: Taxonomy,
    start: int,
    password_hash: str,
    taken_emails: set[str],
    taken_handles: set[str],
) -> list[dict]:
    countries = {code: name for _id, code, name, kind in taxonomy.jurisdictions if kind == "country"}
    codes = [code for code in COUNTRY_NAMES if code in countries] or sorted(countries) or ["FR"]
    moderators = max(2, count // 20)
    users: list[dict] = []
    emails, handles = set(taken_emails), set(taken_handles)
    for number in range(count):
        code = rng.choice(codes)
        firsts, lasts = NAMES.get(COUNTRY_NAMES.get(code, "anglo"), NAMES["anglo"])
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        country = countries.get(code, code)
        if rng.random() < 0.06:
            organisation, domain = rng.choice(INTERNATIONAL_ORGANISATIONS)
        else:
            template, word = rng.choice(ORGANISATIONS)
            organisation = template.format(country=_display_country(code, country))
            domain = f"{word}.{code.lower()}.example"
        base = handle_base(name)
        handle, suffix = base, 2
        while handle in handles or f"{handle}@{domain}" in emails:
            handle, suffix = f"{base}{suffix}", suffix + 1
        handles.add(handle)
        email = f"{handle}@{domain}"
        emails.add(email)
        joined = EPOCH_START - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
        users.append(
            {
                "id": start + number,
                "email": email,
                "display_name": name,
                "handle": handle,
                "organisation": organisation,
                "country": code,
                # The first members are the moderators: the command prints the first one's address.
                "role": "moderator" if number < moderators else "expert",
                "status": "active",
                "suspended_until": None,
                "suspension_reason": "",
                "password_hash": password_hash,
                "password_changed_at": joined,
                "created_at": joined,
                "mail_preference": "none",
                "digest_sent_at": None,
            }
        )
    return users


def _reply_counts(rng: random.Random, threads: int, replies: int) -> list[int]:
    """Replies per thread, heavy-tailed: many short threads, a few long ones."""
    weights = [rng.lognormvariate(0, 1.1) for _ in range(threads)]
    total = sum(weights)
    shares = [replies * w / total for w in weights]
    counts = [min(int(s), MAX_POSTS_PER_THREAD - 1) for s in shares]
    # The remainder goes to the largest fractional parts (ties by position), still under the cap.
    order = sorted(range(threads), key=lambda i: (counts[i] - shares[i], i))
    missing = replies - sum(counts)
    while missing > 0:
        progressed = False
        for i in order:
            if missing == 0:
                break
            if counts[i] < MAX_POSTS_PER_THREAD - 1:
                counts[i] += 1
                missing -= 1
                progressed = True
        if not progressed:  # every thread is full: lift the cap rather than lose posts
            counts[0] += missing
            missing = 0
    return counts


def _choose_parent(rng: random.Random, local: int) -> int:
    """A reply's parent among the earlier posts of its thread: the opening post or a recent one."""
    if local == 1:
        return 0
    draw = rng.random()
    if draw < 0.28:
        return 0
    if draw < 0.72:
        return local - 1  # answering the latest post: conversations go deep
    if draw < 0.9:
        return rng.randint(max(0, local - 5), local - 1)
    return rng.randrange(local)


def plan_corpus(
    threads: int,
    posts: int,
    seed: int,
    taxonomy: Taxonomy,
    start: StartIds = StartIds(),  # noqa: B008 - frozen
    password_hash: str = "",
    taken_emails: set[str] | frozenset[str] = frozenset(),
    taken_handles: set[str] | frozenset[str] = frozenset(),
) -> Corpus:
    """Every row of the corpus, decided without the database: same arguments, same rows."""
    if threads < 1:
        raise ValueError("--threads must be at least 1")
    if posts < threads:
        raise ValueError("--posts counts every post, opening posts included: it must be at least --threads")
    if not taxonomy.sectors or not taxonomy.jurisdictions:
        raise ValueError("the taxonomy is empty: run `forum db upgrade` first")
    rng = random.Random(seed)
    users = _plan_users(
        rng,
        max(20, threads // 50),
        taxonomy,
        start.user,
        password_hash,
        set(taken_emails),
        set(taken_handles),
    )
    activity = list(accumulate(min(rng.paretovariate(1.3), 40.0) for _ in users))
    by_country: dict[str, list[int]] = {}
    for index, user in enumerate(users):
        by_country.setdefault(user["country"], []).append(index)

    # Taxonomy weights. Jurisdictions: a few are busy, most are quiet; and each sector ignores
    # some countries altogether, so the coverage matrix has empty cells.
    # Countries where the demo has members' names, and the regional bodies: not Antarctica.
    jurisdictions = [j for j in taxonomy.jurisdictions if j[3] != "country" or j[1] in COUNTRY_NAMES]
    jurisdictions = jurisdictions or list(taxonomy.jurisdictions)
    order = list(range(len(jurisdictions)))
    rng.shuffle(order)
    base_weight = [0.0] * len(jurisdictions)
    for rank, index in enumerate(order):
        _id, code, _name, kind = jurisdictions[index]
        boost = 2.0 if kind == "region" else 1.0
        base_weight[index] = boost / (rank + 1) ** 0.6
    sector_cum_weights = []
    for _sector in taxonomy.sectors:
        weights = [
            0.0
            if rng.random() < 0.35 and jurisdictions[i][3] == "country"
            else w * rng.lognormvariate(0, 0.8)
            for i, w in enumerate(base_weight)
        ]
        sector_cum_weights.append(list(accumulate(weights)))
    sector_weights = list(accumulate(rng.uniform(0.4, 1.6) for _ in taxonomy.sectors))
    instrument_by_slug = {slug: (iid, short) for iid, slug, short in taxonomy.instruments}
    country_names = {code: _display_country(code, name) for _i, code, name, kind in jurisdictions}
    all_countries = [country_names[code] for code in COUNTRY_NAMES if code in country_names] or ["France"]
    surnames = sorted({last for _firsts, lasts in NAMES.values() for last in lasts})
    tag_names = [normalise_tag(name) for name in TAG_VOCABULARY]

    # Threads, in creation order: creation times grow denser towards the end (forums grow).
    span = SPAN_DAYS * 86400 - 2 * 86400
    starts = sorted(int(span * rng.random() ** 0.6) for _ in range(threads))
    reply_counts = _reply_counts(rng, threads, posts - threads)
    thread_rows: list[dict] = []
    links_j: list[dict] = []
    links_i: list[dict] = []
    links_t: list[dict] = []
    contexts: list[_Context] = []
    used_tags: dict[str, int] = {}
    next_tag = start.tag
    skeleton: list[PostPlan] = []
    for index in range(threads):
        thread_id = start.thread + index
        sector_index = rng.choices(range(len(taxonomy.sectors)), cum_weights=sector_weights)[0]
        sector_id, sector_slug = taxonomy.sectors[sector_index]
        words = SECTOR_WORDS.get(sector_slug, GENERIC_WORDS)
        cum = sector_cum_weights[sector_index]
        chosen: list[int] = []
        for _ in range(rng.choices((1, 2, 3), (60, 28, 12))[0]):
            pick = rng.choices(range(len(jurisdictions)), cum_weights=cum)[0] if cum[-1] > 0 else 0
            if pick not in chosen:
                chosen.append(pick)
        instruments: list[int] = []
        for _ in range(rng.choices((0, 1, 2), (30, 50, 20))[0]):
            slug = (
                rng.choice(words.instruments) if rng.random() < 0.75 else rng.choice(taxonomy.instruments)[1]
            )
            if slug in instrument_by_slug and slug not in instruments:
                instruments.append(slug)
        tags: list[str] = []
        for _ in range(rng.choices((0, 1, 2, 3, 4), (12, 25, 30, 20, 13))[0]):
            name = normalise_tag(rng.choice(words.tags)) if rng.random() < 0.4 else rng.choice(tag_names)
            if name not in tags:
                tags.append(name)

        codes = [jurisdictions[i][1] for i in chosen]
        ctx = _Context(
            words=words,
            countries=[
                country_names[jurisdictions[i][1]] for i in chosen if jurisdictions[i][3] == "country"
            ],
            courts=[
                REGION_COURTS[jurisdictions[i][1]]
                if jurisdictions[i][1] in REGION_COURTS
                else f"{COURTS[(index + i) % len(COURTS)]} of {country_names[jurisdictions[i][1]]}"
                for i in chosen
                if jurisdictions[i][3] == "country" or jurisdictions[i][1] in REGION_COURTS
            ],
            instruments=[_instrument_phrase(instrument_by_slug[s][1]) for s in instruments],
            all_countries=all_countries,
            surnames=surnames,
        )
        contexts.append(ctx)
        slots = _Slots(rng, ctx)
        slots["year"] = str(min(2026, (EPOCH_START + timedelta(seconds=starts[index])).year))
        template = rng.choice(TITLES)
        if rng.random() < 0.6 and not any(mark in template for mark in ("{J", "?", ":", "across")):
            template += rng.choice((" ({J})", " in {J}", ": the view from {J}", ": practice in {J}"))
        title = _cap(template.format_map(slots))[:200]

        # Author: often someone from one of the thread's countries.
        local_users = [u for c in codes for u in by_country.get(c, [])]
        if local_users and rng.random() < 0.5:
            author = rng.choice(local_users)
        else:
            author = rng.choices(range(len(users)), cum_weights=activity)[0]

        # Times: replies come quickly at first, then thin out; all before EPOCH_END.
        replies = reply_counts[index]
        created = starts[index]
        duration = min(max(rng.lognormvariate(12.5, 1.4), 3600.0), 2 * 365 * 86400.0)
        offsets = sorted(duration * rng.random() ** 1.8 for _ in range(replies))
        times = [created]
        for offset in offsets:
            times.append(max(created + int(offset), times[-1] + rng.randint(60, 900)))
        room = SPAN_DAYS * 86400 - 3600 - created
        if times[-1] - created > room:
            factor = room / (times[-1] - created)
            scaled = [created]
            for moment in times[1:]:
                scaled.append(max(created + int((moment - created) * factor), scaled[-1] + 1))
            times = scaled
        thread_posts = [PostPlan(index, 0, -1, author, times[0])]
        for local in range(1, replies + 1):
            parent_local = _choose_parent(rng, local)
            parent_author = thread_posts[parent_local].author
            reply_author = rng.choices(range(len(users)), cum_weights=activity)[0]
            if reply_author == parent_author:
                reply_author = rng.choices(range(len(users)), cum_weights=activity)[0]
            thread_posts.append(PostPlan(index, local, parent_local, reply_author, times[local]))
        for post in thread_posts[1:]:
            draw = rng.random()
            if draw < 0.008:
                post.state = PostState.hidden.value
                post.hidden_reason = rng.choice(HIDDEN_REASONS)
            elif draw < 0.013:
                post.state = PostState.deleted.value
        for post in thread_posts:
            if post.state == PostState.visible and rng.random() < 0.03:
                edited = min(post.created + rng.randint(300, 3 * 86400), SPAN_DAYS * 86400 - 1)
                editor = post.author
                reason = rng.choice(EDIT_REASONS)
                if rng.random() < 0.1:  # a moderator's edit
                    editor = rng.randrange(max(2, len(users) // 20))
                    reason = "Moderator: removed confidential details"
                post.edit = (edited, editor, reason, rng.choice(EDIT_NOTES))
        skeleton.extend(thread_posts)

        for i in chosen:
            links_j.append({"thread_id": thread_id, "jurisdiction_id": jurisdictions[i][0]})
        for slug in instruments:
            links_i.append({"thread_id": thread_id, "instrument_id": instrument_by_slug[slug][0]})
        for name in tags:
            if name in taxonomy.tags:
                tag_id = taxonomy.tags[name]
            elif name in used_tags:
                tag_id = used_tags[name]
            else:
                tag_id = used_tags[name] = next_tag
                next_tag += 1
            links_t.append({"thread_id": thread_id, "tag_id": tag_id})
        visible_replies = sum(1 for p in thread_posts[1:] if p.state == PostState.visible)
        thread_rows.append(
            {
                "id": thread_id,
                "title": title,
                "slug": slugify(title)[:120],
                "sector_id": sector_id,
                "author_id": users[author]["id"],
                "created_at": EPOCH_START + timedelta(seconds=created),
                "last_activity_at": EPOCH_START + timedelta(seconds=times[-1]),
                "last_post_id": None,  # known once posts are numbered, below
                "locked": rng.random() < 0.02,
                "pinned": False,
                "pinned_globally": False,
                "reply_count": visible_replies,
            }
        )
    # A few pinned threads, as moderators keep them: one or two in some sectors; in a corpus of
    # some size, the first of them is pinned on the whole site too (an administrator's pin).
    pinned = rng.sample(range(threads), max(1, threads // 4000 + (1 if threads >= 50 else 0)))
    for number, index in enumerate(pinned):
        thread_rows[index]["pinned"] = True
        thread_rows[index]["pinned_globally"] = number == 0 and threads >= 50

    # Number posts in time order across threads; parents always come first, so paths can follow.
    skeleton.sort(key=lambda p: (p.created, p.thread, p.local))
    first_of_thread = [0] * threads
    by_thread: list[list[int]] = [[] for _ in range(threads)]
    for ordinal, post in enumerate(skeleton):
        post.ordinal = ordinal
        post.id = start.post + ordinal
        by_thread[post.thread].append(ordinal)
    for ordinal, post in enumerate(skeleton):
        if post.local == 0:
            first_of_thread[post.thread] = ordinal
            post.parent = -1
            post.path = f"{post.id:010d}"
            post.depth = 0
        else:
            parent = skeleton[by_thread[post.thread][post.parent]]
            post.parent = parent.ordinal
            post.path = f"{parent.path}.{post.id:010d}"
            post.depth = parent.depth + 1
    for index, ordinals in enumerate(by_thread):
        thread_rows[index]["last_post_id"] = skeleton[ordinals[-1]].id
    tag_rows = [
        {"id": tag_id, "name": name} for name, tag_id in sorted(used_tags.items(), key=lambda kv: kv[1])
    ]
    return Corpus(
        seed=seed,
        users=users,
        tags=tag_rows,
        threads=thread_rows,
        thread_jurisdictions=links_j,
        thread_instruments=links_i,
        thread_tags=links_t,
        posts=skeleton,
        revision_start=start.revision,
        contexts=contexts,
    )


def _instrument_phrase(short_name: str) -> str:
    """ "UNTOC", but "the Basel Convention"."""
    return short_name if short_name.isupper() else f"the {short_name}"


# --- Writing -------------------------------------------------------------------------------------

# The tables whose ids the plan assigns, in the order in which they are filled.
NUMBERED = {"user": User, "tag": Tag, "thread": Thread, "post": Post, "revision": PostRevision}


def load_taxonomy(session: Session) -> Taxonomy:
    sectors = session.execute(
        select(Sector.id, Sector.slug).where(Sector.archived.is_(False)).order_by(Sector.position, Sector.id)
    ).all()
    jurisdictions = session.execute(
        select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.kind)
        .where(Jurisdiction.archived.is_(False))
        .order_by(Jurisdiction.id)
    ).all()
    instruments = session.execute(
        select(Instrument.id, Instrument.slug, Instrument.short_name)
        .where(Instrument.archived.is_(False))
        .order_by(Instrument.id)
    ).all()
    return Taxonomy(
        sectors=[tuple(row) for row in sectors],
        jurisdictions=[tuple(row) for row in jurisdictions],
        instruments=[tuple(row) for row in instruments],
        tags=dict(session.execute(select(Tag.name, Tag.id)).all()),
    )


def _first_free_id(session: Session, model, postgresql: bool) -> int:
    table = model.__table__
    highest = session.execute(select(func.max(table.c.id))).scalar() or 0
    if postgresql:
        # Ids handed out and rolled back still count: start after the sequence too.
        sequence = func.pg_get_serial_sequence(table.name, "id")
        last = session.execute(select(func.pg_sequence_last_value(sequence.cast(REGCLASS)))).scalar()
        highest = max(highest, last or 0)
    return highest + 1


def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(model.__table__), rows)


def seed_demo(database: Database, threads: int = 200, posts: int = 2000, seed: int = 1) -> dict:
    """Plan the corpus, then write it: members, tags and threads in one transaction, then the
    posts and their revisions in batches of POST_BATCH, one transaction each. Run it on a
    database nobody else is writing to: the ids are chosen before the batches are written."""
    postgresql = database.engine.dialect.name == "postgresql"
    started = time.perf_counter()
    with database.unit_of_work(write=False) as session:
        taxonomy = load_taxonomy(session)
        start = StartIds(
            **{key: _first_free_id(session, model, postgresql) for key, model in NUMBERED.items()}
        )
        taken = session.execute(select(User.email, User.handle)).all()
    corpus = plan_corpus(
        threads,
        posts,
        seed,
        taxonomy,
        start,
        # One hash for every demo member: argon2 is slow on purpose.
        password_hash=hash_password(DEMO_PASSWORD),
        taken_emails={email for email, _handle in taken},
        taken_handles={handle for _email, handle in taken},
    )
    planned = time.perf_counter()
    with database.unit_of_work() as session:
        _insert(session, User, corpus.users)
        _insert(session, Tag, corpus.tags)
        _insert(session, Thread, corpus.threads)
        _insert(session, ThreadJurisdiction, corpus.thread_jurisdictions)
        _insert(session, ThreadInstrument, corpus.thread_instruments)
        _insert(session, ThreadTag, corpus.thread_tags)
    revisions = 0
    rows = corpus.iter_posts()
    while batch := list(islice(rows, POST_BATCH)):
        with database.unit_of_work() as session:
            _insert(session, Post, [post for post, _revisions in batch])
            revision_rows = [revision for _post, post_revisions in batch for revision in post_revisions]
            _insert(session, PostRevision, revision_rows)
            revisions += len(revision_rows)
            # Searchable at once, in the same transaction as the posts.
            search_index.update_posts(session.connection(), [post["id"] for post, _revisions in batch])
            bump(session)  # counts kept by running servers are recomputed
    if postgresql:
        # The ids were chosen here, not drawn from the sequences: move them past what was written.
        with database.unit_of_work() as session:
            for model in NUMBERED.values():
                table = model.__table__
                session.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, "id"),
                            select(func.max(table.c.id)).scalar_subquery(),
                        )
                    )
                )
    moderator = next(user for user in corpus.users if user["role"] == "moderator")
    return {
        "users": len(corpus.users),
        "moderators": sum(1 for user in corpus.users if user["role"] == "moderator"),
        "tags": len(corpus.tags),
        "threads": len(corpus.threads),
        "posts": len(corpus.posts),
        "revisions": revisions,
        "thread_jurisdictions": len(corpus.thread_jurisdictions),
        "thread_instruments": len(corpus.thread_instruments),
        "thread_tags": len(corpus.thread_tags),
        "moderator_email": moderator["email"],
        "plan_seconds": round(planned - started, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
