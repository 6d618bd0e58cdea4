"""`plan_corpus()`: every row of a demo corpus from a seed, without touching the database."""

import random
from datetime import timedelta
from itertools import accumulate

from app.accounts.users import handle_base
from app.demo.corpus import EPOCH_START, SPAN_DAYS, Corpus, PostPlan, StartIds, Taxonomy
from app.demo.text import Context, Slots, capitalise
from app.demo.vocabulary import (
    COUNTRY_NAMES,
    COURTS,
    EDIT_NOTES,
    EDIT_REASONS,
    GENERIC_WORDS,
    HIDDEN_REASONS,
    INTERNATIONAL_ORGANISATIONS,
    NAMES,
    ORGANISATIONS,
    REGION_COURTS,
    SECTOR_WORDS,
    TAG_VOCABULARY,
    TITLES,
    WITH_ARTICLE,
)
from app.forum.models import (
    PostState,
)
from app.taxonomy.service import normalise_tag, slugify

MAX_POSTS_PER_THREAD = 1200


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
    contexts: list[Context] = []
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
        ctx = Context(
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
        slots = Slots(rng, ctx)
        slots["year"] = str(min(2026, (EPOCH_START + timedelta(seconds=starts[index])).year))
        template = rng.choice(TITLES)
        if rng.random() < 0.6 and not any(mark in template for mark in ("{J", "?", ":", "across")):
            template += rng.choice((" ({J})", " in {J}", ": the view from {J}", ": practice in {J}"))
        title = capitalise(template.format_map(slots))[:200]

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
