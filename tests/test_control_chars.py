"""Control characters in requests: an API client gets a 422 naming the field and nothing is
written, on both engines; a person's form is cleaned (word-processor line breaks kept as newlines)."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.control_chars import clean, field_with_control
from app.forum.models import Post, Thread
from tests.conftest import csrf_from
from tests.factories import make_token

THREAD = {
    "title": "Transit of falsified insulin",
    "body": "The facts.",
    "sector": "medical-products",
    "jurisdictions": ["FR"],
}


@pytest.fixture
def api(anonymous, database, expert):
    anonymous.headers["Authorization"] = f"Bearer {make_token(database, expert)}"
    return anonymous


def _count(database, model) -> int:
    with database.unit_of_work(write=False) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": "The facts.\u0000 More."}, "body"),
        ({"title": "Insulin\u0007"}, "title"),
        ({"tags": ["ok", "bad\u001b[31m"]}, "tags.1"),
    ],
)
def test_an_api_write_with_a_control_character_is_422_naming_the_field(api, database, changes, field):
    before = _count(database, Thread), _count(database, Post)
    response = api.post("/api/v1/threads", json={**THREAD, **changes})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert (_count(database, Thread), _count(database, Post)) == before  # nothing half-written


def test_tab_and_newline_are_text(api):
    response = api.post("/api/v1/threads", json={**THREAD, "body": "Facts:\n\tone\r\n\ttwo"})
    assert response.status_code == 201, response.text


def test_a_control_character_in_a_query_string_is_422_on_the_api(api):
    response = api.get("/api/v1/search", params={"q": "insulin\u0000"})
    assert response.status_code == 422
    assert "q" in response.json()["errors"]


def test_a_form_pasted_from_a_word_processor_is_cleaned_not_refused(signed_in, database, expert):
    client = signed_in(expert)
    token = csrf_from(client.get("/threads/new").text)
    response = client.post(
        "/threads/new",
        data={
            "title": "Insulin\u0000 in transit",
            "body": "First line\u000bsecond line\u000cthird\u0000.",
            "sector": "medical-products",
            "jurisdictions": "FR",
            "action": "publish",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    with database.unit_of_work(write=False) as session:
        thread = session.exec(select(Thread).order_by(Thread.id.desc())).first()
        post = session.exec(select(Post).where(Post.thread_id == thread.id)).first()
    assert thread.title == "Insulin in transit"
    assert post.body == "First line\nsecond line\nthird."


def test_the_helpers():
    assert field_with_control({"a": {"b": ["x", "y\u0000"]}}) == "a.b.1"
    assert field_with_control({"a": "fine\ttext\n"}) is None
    assert clean("a\u000bb\u0000c\td") == "a\nbc\td"
