"""What a prosecutor means, on both engines: replies found by their thread's context and ranked
below posts that say it themselves, authors by the name people see, snippets without Markdown."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.forum.models import Post
from tests.conftest import page_csrf
from tests.factories import make_reply, make_thread, make_token, make_user


@pytest.fixture
def api(app, database, expert) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    client.headers["Authorization"] = f"Bearer {make_token(database, expert)}"
    return client


@pytest.fixture
def insulin(database, expert):
    thread = make_thread(
        database,
        expert,
        title="Transit of falsified insulin through free zones",
        sector="medical-products",
        jurisdictions=["AE", "european-union"],
        instruments=["medicrime"],
        tags=["free zones"],
        body="The opening analysis: how the goods were relabelled.",
    )
    reply = make_reply(database, expert, thread, "The consignment stayed in the zone for six weeks.")
    other = make_thread(
        database,
        expert,
        title="Customs warehouses",
        sector="tobacco",
        jurisdictions=["FR"],
        body="Falsified insulin was also found in a bonded warehouse.",
    )
    return {"thread": thread, "reply": reply, "other": other}


def hits(api, q, partial=False, **params) -> list[int]:
    """The posts that hold every word (and with partial=True, those after them holding all but one)."""
    response = api.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [item["post_id"] for item in response.json()["items"] if partial or not item["partial"]]


def opening(api, thread) -> int:
    return api.get(f"/api/v1/threads/{thread.id}").json()["posts"][0]["id"]


def test_a_reply_is_found_by_its_threads_title_words(api, insulin):
    assert insulin["reply"].id in hits(api, "falsified insulin")


def test_a_reply_is_found_by_its_threads_sector_jurisdiction_instrument_and_tags(api, insulin):
    reply = insulin["reply"].id
    for q in (
        "consignment medical products",
        "consignment Emirates",
        "consignment medicrime",
        "consignment zones",
    ):
        assert hits(api, q) == [reply], q


def test_a_post_that_says_it_ranks_above_a_reply_found_through_its_thread(api, insulin):
    ranked = hits(api, "falsified insulin")
    # Both posts whose own text says "falsified insulin" come before the reply that does not.
    assert ranked.index(opening(api, insulin["other"])) < ranked.index(insulin["reply"].id)
    assert ranked.index(opening(api, insulin["thread"])) < ranked.index(insulin["reply"].id)


def test_renaming_a_sector_makes_its_posts_findable_by_the_new_name_at_once(
    signed_in, api, database, admin, insulin
):
    assert hits(api, "consignment pharmacovigilance") == []
    client = signed_in(admin)
    response = client.post(
        f"/admin/taxonomy/sector/{insulin['thread'].sector_id}/rename",
        data={"name": "Pharmacovigilance offences", "csrf_token": page_csrf(client, "/admin/taxonomy")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert hits(api, "consignment pharmacovigilance") == [insulin["reply"].id]


def test_author_by_display_name_ignores_case_and_accents(api, database, insulin):
    ana = make_user(database, name="Ana Gómez", email="ana.gomez@example.org")
    thread = make_thread(
        database, ana, title="Contrabando de cigarrillos", sector="tobacco", body="Análisis."
    )
    for value in ('"Ana Gómez"', '"ana gomez"', '"ANA GÓMEZ"', "ana.gomez@example.org", ana.handle):
        assert hits(api, f"cigarrillos author:{value}") == [opening(api, thread)], value


def test_author_nobody_is_called_says_so_and_suggests_close_names(api, database, signed_in, expert):
    make_user(database, name="Ana Gómez", email="ana.gomez@example.org")
    response = api.get("/api/v1/search", params={"q": 'author:"Ana Gomes"'})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "no member called “Ana Gomes”" in detail and 'author:"Ana Gómez"' in detail
    page = signed_in(expert).get("/search", params={"q": "author:gomez"})
    assert "no member called" in page.text and "Ana Gómez" in page.text


def test_snippets_are_text_not_markdown(api, database, expert):
    make_thread(
        database,
        expert,
        title="Structured analysis",
        sector="tobacco",
        body="### Facts\n\nThe **seizure** of _counterfeit_ cigarettes, see [the ruling](https://example.org/r).\n\n"
        "| Court | Year |\n| --- | --- |\n| Paris | 2021 |\n",
    )
    items = api.get("/api/v1/search", params={"q": "seizure"}).json()["items"]
    snippet = items[0]["snippet_html"]
    assert "<mark>seizure</mark>" in snippet
    for syntax in ("###", "**", "_counterfeit_", "](", "| ---"):
        assert syntax not in snippet, syntax


@pytest.fixture
def languages(database, expert):
    french = make_thread(
        database,
        expert,
        title="Saisie douanière de médicaments",
        sector="medical-products",
        jurisdictions=["FR"],
        body="Les douanes ont procédé à la saisie de cigarettes de contrebande au port du Havre en 2021.",
    )
    spanish = make_thread(
        database,
        expert,
        title="Cigarrillo de contrabando en la frontera",
        sector="tobacco",
        jurisdictions=["ES"],
        body="La fiscalía investigó el cigarrillo de contrabando decomisado en el puerto de Algeciras.",
    )
    english = make_thread(
        database,
        expert,
        title="Smuggling of cigarettes through Antwerp",
        sector="tobacco",
        jurisdictions=["BE"],
        body="Prosecutors charged smuggling of cigarettes hidden in furniture.",
    )
    arabic = make_thread(
        database,
        expert,
        title="تهريب السجائر عبر الموانئ",
        sector="tobacco",
        jurisdictions=["AE"],
        body="قضية تَهْرِيـــب السجائر المزيفة أمام النيابة العامة في دبي.",
    )
    return {"fr": french, "es": spanish, "en": english, "ar": arabic}


def test_each_post_knows_its_language(database, languages):
    with database.unit_of_work(write=False) as session:
        found = {
            code: session.exec(select(Post.language).where(Post.thread_id == thread.id)).one()
            for code, thread in languages.items()
        }
    assert found == {"fr": "fr", "es": "es", "en": "en", "ar": "ar"}


def test_french_and_spanish_posts_are_found_by_their_inflected_forms(api, languages):
    assert hits(api, "saisies douanières") == [opening(api, languages["fr"])]
    assert opening(api, languages["es"]) in hits(api, "contrabando de cigarrillos")
    assert hits(api, "cigarrillos decomisados") == [opening(api, languages["es"])]


def test_a_french_post_is_found_by_the_english_term_ranked_below_a_literal_match(api, languages):
    ranked = hits(api, "smuggling")
    english, french, spanish = (opening(api, languages[code]) for code in ("en", "fr", "es"))
    assert ranked[0] == english  # the words typed come first
    assert french in ranked and spanish in ranked  # contrebande, contrabando: through the thesaurus
    # An excluded word never comes back through the thesaurus or the stems.
    assert english not in hits(api, "cigarettes -smuggling")


def test_arabic_is_folded_and_tokenised(api, languages):
    arabic = opening(api, languages["ar"])
    # In the body the word carries harakat and tatweel (تَهْرِيـــب); the query has neither.
    assert hits(api, "تهريب دبي") == [arabic]
    assert hits(api, "تَهْرِيب دبي") == [arabic]
    assert hits(api, "تهريب")[0] == arabic  # then its equivalents through the thesaurus
    assert arabic in hits(api, "smuggling")


def test_words_typed_together_find_a_multiword_equivalent(api, database, expert):
    spanish = make_thread(
        database,
        expert,
        title="Entrega vigilada en el puerto de Guayaquil",
        sector="narcotics-precursors",
        jurisdictions=["EC"],
        body="La fiscalía autorizó la entrega vigilada del contenedor hasta su destino.",
    )
    assert hits(api, "controlled delivery Guayaquil") == [opening(api, spanish)]
    # Quoted, a phrase is exact: no equivalents in other languages.
    assert hits(api, '"controlled delivery"') == []


def test_an_excluded_word_in_a_sector_name_does_not_exclude_the_sector(api, database, expert):
    thread = make_thread(
        database,
        expert,
        title="Customs seizures of fake handbags",
        sector="counterfeit-consumer-goods",
        body="Customs seizures at the airport: handbags and watches.",
    )
    assert hits(api, "customs seizures -toys") == [opening(api, thread)]


def test_an_excluded_word_in_a_threads_title_excludes_its_replies(api, database, expert):
    toys = make_thread(
        database,
        expert,
        title="Customs seizures of counterfeit toys",
        sector="counterfeit-consumer-goods",
        body="Customs seizures of toys with lead paint.",
    )
    reply = make_reply(database, expert, toys, "Keep a sample and the laboratory report before destruction.")
    bags = make_thread(
        database,
        expert,
        title="Handbags at the airport",
        sector="counterfeit-consumer-goods",
        body="Customs seizures of handbags and watches.",
    )
    assert reply.id in hits(api, "customs seizures")  # through its thread's title
    # The reply is about toys, as its thread says: excluded with it.
    assert hits(api, "customs seizures -toys") == [opening(api, bags)]


def test_few_posts_with_every_word_are_followed_by_those_with_all_but_one(api, database, expert):
    custody = make_thread(
        database,
        expert,
        title="Chain of custody for laboratory analysis",
        sector="medical-products",
        body="Every step between the seizure and the laboratory report is attacked by the defence.",
    )
    ivory = make_thread(
        database,
        expert,
        title="Ivory seizure and DNA",
        sector="wildlife-timber",
        body="The chain of custody for the tusk samples is where the defence attacks.",
    )
    unrelated = make_thread(
        database, expert, title="Custody of seized cash", sector="tobacco", body="Cash counted twice."
    )
    full = hits(api, "laboratory chain of custody")
    assert full == [opening(api, custody)]
    items = api.get("/api/v1/search", params={"q": "laboratory chain of custody"}).json()
    assert items["matched_all"] == 1
    ranked = [(item["post_id"], item["partial"]) for item in items["items"]]
    # "chain of custody" without "laboratory": after the full match, marked partial. A post with
    # only two of the four words is not shown.
    assert ranked[:2] == [(opening(api, custody), False), (opening(api, ivory), True)]
    assert opening(api, unrelated) not in [post for post, _partial in ranked]
    # Sorted by date, only full matches.
    by_date = api.get("/api/v1/search", params={"q": "laboratory chain of custody", "sort": "date"}).json()
    assert [item["post_id"] for item in by_date["items"]] == [opening(api, custody)]


def test_the_search_page_shows_partial_matches_under_their_own_heading(signed_in, database, expert):
    make_thread(
        database,
        expert,
        title="Louboutin v Amazon",
        sector="counterfeit-consumer-goods",
        body="The judgment.",
    )
    make_thread(
        database, expert, title="Louboutin soles", sector="counterfeit-consumer-goods", body="Red soles."
    )
    client = signed_in(expert)
    page = client.get("/search", params={"q": "Louboutin Amazon"})
    assert page.status_code == 200
    assert "1 more post holds all of your words but one" in page.text
    assert (
        page.text.index("Louboutin v Amazon")
        < page.text.index("partial-heading")
        < page.text.index("Louboutin soles")
    )
    nothing = client.get("/search", params={"q": "Louboutin Hermès"})
    assert "No post holds all of your words; 2 hold all of them but one" in nothing.text


def test_a_word_stemmed_in_one_language_does_not_meet_another_languages_stem(api, database, expert):
    spanish = make_thread(
        database,
        expert,
        title="Medicamentos falsificados vendidos por redes sociales",
        sector="medical-products",
        tags=["medicamentos falsificados"],
        body="Se venden medicamentos falsificados; llegan medicamentos falsificados por correo.",
    )
    french = make_thread(
        database,
        expert,
        title="Vente en ligne",
        sector="medical-products",
        body="Des comptes proposent des médicaments falsifiés pour maigrir.",
    )
    ranked = hits(api, "médicament falsifié")
    # French "falsifié" and Spanish "falsificados" reduce to one token under SQLite's porter; the
    # Spanish post is found, through the thesaurus, after the French one that says it.
    assert ranked.index(opening(api, french)) < ranked.index(opening(api, spanish))


def test_another_form_of_the_word_typed_counts_as_the_word(api, database, expert):
    toys = make_thread(
        database,
        expert,
        title="Jouets contrefaits saisis au Havre",
        sector="counterfeit-consumer-goods",
        body="Vingt mille jouets contrefaits contenant des phtalates.",
    )
    thread = make_thread(
        database,
        expert,
        title="Contrefaçon de parfums",
        sector="counterfeit-consumer-goods",
        body="Le parquet.",
    )
    reply = make_reply(database, expert, thread, "Le titulaire de la marque a porté plainte.")
    ranked = hits(api, "contrefaçon")
    # "contrefaits" is another form of "contrefaçon" (the thesaurus says so): the post that says
    # it comes before a reply found only through its thread's title.
    assert ranked.index(opening(api, toys)) < ranked.index(reply.id)


def test_a_quoted_phrase_is_not_found_in_a_sectors_name_alone(api, database, expert):
    thread = make_thread(
        database,
        expert,
        title="Money mules",
        sector="cross-sector",
        body="The mules were laundering the money of the network.",
    )
    said = make_thread(
        database, expert, title="Trade-based money laundering", sector="cross-sector", body="Invoices."
    )
    # The sector is "Cross-sector questions (money laundering, …)": the phrase must be the post's.
    assert hits(api, '"money laundering"') == [opening(api, said)]
    assert opening(api, thread) in hits(api, "money laundering")


def test_excluding_a_prefix_or_a_phrase_within_titles(api, database, expert):
    a = make_thread(database, expert, title="Counterfeit toys in Marseille", sector="tobacco", body="Port.")
    b = make_thread(database, expert, title="Counterfeit perfume in Lyon", sector="tobacco", body="Port.")
    assert hits(api, "counterfeit -marseil*") == [opening(api, b)]
    assert hits(api, "in:title counterfeit -toys") == [opening(api, b)]
    assert hits(api, 'in:title counterfeit -"toys in marseille"') == [opening(api, b)]
    assert sorted(hits(api, "in:title counterfeit")) == sorted([opening(api, a), opening(api, b)])


def test_words_held_together_rank_before_the_same_words_apart(api, database, expert):
    apart = make_thread(
        database,
        expert,
        title="Laundering the money of mules",
        sector="tobacco",
        body="The mules were laundering the money of the network; laundering, again, the money.",
    )
    together = make_thread(
        database,
        expert,
        title="Trade data",
        sector="tobacco",
        body="A money laundering case through invoices.",
    )
    # bm25 alone puts the title's words first; the phrase typed puts the post that holds it first.
    assert hits(api, "money laundering")[:2] == [opening(api, together), opening(api, apart)]


def test_an_opening_post_comes_before_its_own_replies_of_the_same_kind(api, database, expert):
    filler = " ".join(["The inspection took place over several days with many officers present."] * 12)
    thread = make_thread(
        database,
        expert,
        title="Perfume seized at the port",
        sector="counterfeit-consumer-goods",
        body=f"Counterfeit perfume was found. {filler} The vessel had called at Tanger Med.",
    )
    reply = make_reply(
        database, expert, thread, "Tanger Med: counterfeit perfume, counterfeit again, Tanger Med."
    )
    ranked = hits(api, "counterfeit Tanger Med")
    # The reply says the words more densely, but the question comes before its answers.
    assert ranked == [opening(api, thread), reply.id]
