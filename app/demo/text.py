"""The demo corpus's text: sentences filled from the vocabulary, one `random.Random` per post."""

import random
from dataclasses import dataclass

from app.demo.vocabulary import (
    ACTORS,
    AGGRAVATING,
    ANALYSIS,
    CLOSINGS,
    CONDITIONS,
    COOPERATION,
    COURTS,
    COVERS,
    DEFENCES,
    EVIDENCE,
    FINDINGS,
    HOLDINGS,
    ISSUES,
    LABS,
    LIST_INTROS,
    LIST_ITEMS,
    MENTAL,
    MONTHS,
    OBLIGATIONS,
    OPENING_LEADS,
    PERMISSIONS,
    PLACES,
    PORTS,
    PROVISIONS,
    QUESTIONS,
    REPLY_BODY,
    REPLY_LEADS,
    TERMS,
    SectorWords,
)


def capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


@dataclass
class Context:
    """What a post's text may refer to: its thread's sector, jurisdictions, instruments, its parent."""

    words: SectorWords
    countries: list[str]  # display names, with an article where one is needed
    courts: list[str]  # courts of the thread's jurisdictions ("the Supreme Court of Kenya")
    instruments: list[str]
    all_countries: list[str]
    surnames: list[str]
    pname: str = ""
    phandle: str = ""


class Slots(dict):
    """format_map() target: each placeholder is drawn when a template asks for it."""

    def __init__(self, rng: random.Random, ctx: Context):
        super().__init__()
        self.rng = rng
        self.ctx = ctx

    def __missing__(self, key: str) -> str:
        value = _SLOT_MAKERS[key](self.rng, self.ctx, self)
        self[key] = value
        return value


def _country(rng: random.Random, ctx: Context, _slots) -> str:
    return (
        rng.choice(ctx.countries) if ctx.countries and rng.random() < 0.85 else rng.choice(ctx.all_countries)
    )


def _other_country(rng: random.Random, ctx: Context, slots) -> str:
    first = slots.get("J")
    for _ in range(4):
        choice = rng.choice(ctx.all_countries)
        if choice != first:
            return choice
    return choice


def _court_j(rng: random.Random, ctx: Context, _slots) -> str:
    if ctx.courts and rng.random() < 0.8:
        return rng.choice(ctx.courts)
    return f"{rng.choice(COURTS)} of {rng.choice(ctx.all_countries)}"


def _case(rng: random.Random, ctx: Context, _slots) -> str:
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


def _instrument(rng: random.Random, ctx: Context, _slots) -> str:
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
    "goods_cap": lambda rng, ctx, s: capitalise(rng.choice(ctx.words.goods)),
    "offence": lambda rng, ctx, s: rng.choice(ctx.words.offences),
    "unit": lambda rng, ctx, s: rng.choice(ctx.words.units),
    "act": lambda rng, ctx, s: rng.choice(ctx.words.acts),
    "act_bare": lambda rng, ctx, s: rng.choice(ctx.words.acts).removeprefix("the "),
    "agency": lambda rng, ctx, s: rng.choice(ctx.words.agencies),
    "agency_cap": lambda rng, ctx, s: capitalise(rng.choice(ctx.words.agencies)),
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
    "coop_cap": lambda rng, ctx, s: capitalise(rng.choice(COOPERATION)),
    "aggravating": lambda rng, ctx, s: rng.choice(AGGRAVATING),
    "term": lambda rng, ctx, s: f"“{rng.choice(TERMS)}”",
    "lab": lambda rng, ctx, s: rng.choice(LABS),
    "finding": lambda rng, ctx, s: rng.choice(FINDINGS),
    "permission": lambda rng, ctx, s: rng.choice(PERMISSIONS),
    "pname": lambda rng, ctx, s: ctx.pname or "colleagues",
    "phandle": lambda rng, ctx, s: ctx.phandle or "all",
}


def fill_template(rng: random.Random, ctx: Context, template: str) -> str:
    return capitalise(template.format_map(Slots(rng, ctx)))


def _sentences(rng: random.Random, ctx: Context, templates: list[str], count: int, used: set[str]) -> str:
    """`count` sentences, avoiding the templates this post has used already (when it can)."""
    sentences = []
    for _ in range(count):
        template = rng.choice(templates)
        for _retry in range(3):
            if template not in used:
                break
            template = rng.choice(templates)
        used.add(template)
        sentences.append(fill_template(rng, ctx, template))
    return " ".join(sentences)


def key_sentence(rng: random.Random, ctx: Context, opening: bool) -> tuple[str, str]:
    """The sentence a reply quotes, and its template: made from a random stream of its own, so that
    a reply can make its parent's again without making the whole parent."""
    template = rng.choice(ANALYSIS if opening else REPLY_BODY)
    return template, fill_template(rng, ctx, template)


def post_body(
    rng: random.Random, ctx: Context, opening: bool, key: tuple[str, str], quote: str | None
) -> str:
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
    first = fill_template(rng, ctx, rng.choice(leads)) + " " + key[1]
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
            fill_template(rng, ctx, rng.choice(LIST_INTROS))
            + "\n\n"
            + "\n".join(f"{marker} {fill_template(rng, ctx, item)}." for item in items)
        )
    if rng.random() < (0.08 if opening else 0.02):
        rows = "\n".join(
            f"| {name[:1].upper() + name[1:]} | {rng.choice(ctx.words.acts).removeprefix('the ')} | "
            f"{rng.choice((2, 3, 5, 7, 10, 15))} years |"
            for name in dict.fromkeys(rng.choice(ctx.all_countries) for _ in range(rng.randint(2, 4)))
        )
        blocks.append(f"| Jurisdiction | Legal basis | Maximum penalty |\n| --- | --- | ---: |\n{rows}")
    if opening and rng.random() < 0.6:
        blocks.append(fill_template(rng, ctx, rng.choice(CLOSINGS)))
    if footnote:
        if paragraphs == 1:
            blocks[-1] += "[^1]"
        blocks.append(fill_template(rng, ctx, "[^1]: {case}, {court_j}, judgment of {month} {year}."))
    return "\n\n".join(blocks)
