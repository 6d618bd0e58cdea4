"""The recent index (SQLite): every post from its floor on is in it, as it now is, and a search it
answers finds what the full index would; a search whose matches reach further back is answered from
the full index. On PostgreSQL there is one index and the same searches must give the same answers."""

import pytest
from sqlalchemy import event, text

from app.forum import actions
from app.search import index
from tests.factories import make_reply, make_thread, make_token


@pytest.fixture
def api(app, database, expert):
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    client.headers["Authorization"] = f"Bearer {make_token(database, expert)}"
    return client


def _recent_state(database) -> tuple[int | None, set[int], set[int]]:
    """(floor, the posts in the recent index, the posts in the full index)."""
    with database.unit_of_work(write=False) as session:
        connection = session.connection()
        floor = connection.execute(text("SELECT floor FROM search_index_floor")).scalar()
        recent = set(connection.execute(text(f"SELECT rowid FROM {index.RECENT}")).scalars())  # noqa: S608
        full = set(connection.execute(text("SELECT rowid FROM search_index")).scalars())
    return floor, recent, full


def _matches(database, table: str, word: str) -> set[int]:
    with database.unit_of_work(write=False) as session:
        return set(
            session.connection()
            .execute(text(f"SELECT rowid FROM {table} WHERE {table} MATCH :w"), {"w": word})  # noqa: S608
            .scalars()
        )


def test_the_recent_index_holds_every_post_from_its_floor_as_it_now_is(database, settings, expert, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the recent index is SQLite's; PostgreSQL ranks without reading every row")
    settings.search_recent = 6
    thread = make_thread(database, expert, title="Yak wool", body="The opening post.")
    replies = [make_reply(database, expert, thread, f"Reply number {n} about wool.") for n in range(14)]
    floor, recent, full = _recent_state(database)
    newest = max(full)
    # The newest six at least, and every indexed post from the floor on: nothing in between is missing.
    assert floor > 1 and newest - floor + 1 >= 6
    assert recent == {post_id for post_id in full if post_id >= floor}
    old, young = replies[0], replies[-1]
    assert old.id < floor <= young.id
    with database.unit_of_work() as session:
        actions.edit_post(session, expert, young.id, "Now about cashmere.", young.revision)
        actions.edit_post(session, expert, old.id, "Old, now about cashmere too.", old.revision)
    # Edited in both indexes where it is in both; an old post stays out of the recent one.
    assert _matches(database, index.RECENT, "cashmere") == {young.id}
    assert _matches(database, "search_index", "cashmere") == {young.id, old.id}
    with database.unit_of_work() as session:
        actions.delete_post(session, expert, young.id)
    floor, recent, full = _recent_state(database)
    assert young.id not in recent and young.id not in full
    assert recent == {post_id for post_id in full if post_id >= floor}
    # A rebuild keeps the rule, and turning the recent index off empties it, untrusted until a rebuild.
    with database.unit_of_work() as session:
        index.rebuild(session.connection())
    floor, recent, full = _recent_state(database)
    assert recent == {post_id for post_id in full if post_id >= floor} and floor == young.id - 6 + 1
    settings.search_recent = 0
    make_reply(database, expert, thread, "One more about wool.")
    assert _recent_state(database)[:2] == (None, set())


def _answer(api, q: str) -> tuple[list[int], int, bool]:
    body = api.get("/api/v1/search", params={"q": q}).json()
    return [item["post_id"] for item in body["items"]], body["total"], body["truncated"]


def test_a_search_answered_from_the_recent_index_finds_what_the_full_one_does(
    api, database, settings, expert, engine
):
    settings.search_window, settings.search_recent = 20, 30
    thread = make_thread(database, expert, title="Notes", body="Opening notes.")
    old = make_reply(database, expert, thread, "An old report on a lynx.")
    for number in range(45):
        make_reply(database, expert, thread, f"Report number {number} on a zebra.")
    make_reply(database, expert, thread, "A recent report on a lynx.")
    statements: list[str] = []
    listener = lambda _c, _cur, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        from_recent = _answer(api, "zebra")
        lynx = _answer(api, "lynx")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    if engine.dialect.name == "sqlite":
        # The common word's window is ranked in the recent index; the rare word reaches back
        # further than the recent index holds, so the full index answers it.
        ranked = [s for s in statements if "bm25(" in s]
        assert any(f"bm25({index.RECENT}" in s for s in ranked)
        assert any("bm25(search_index," in s for s in ranked)
    settings.search_recent = 0
    assert _answer(api, "zebra") == from_recent
    assert from_recent[1:] == (20, True) and len(from_recent[0]) == 20
    assert old.id in lynx[0] and lynx[1] == 2
