"""What both engines share: the index as a table clause, what a match asks for, the snippet markers."""

from dataclasses import dataclass

from sqlalchemy import column, table

# A table clause, not text(): the match subquery is joined to ORM selects of posts.
SEARCH_TABLE = table("search_index", column("rowid"), column("post_id"))
RANKED_TABLE = table("search_index", column("post_id"), column("document_tsv"))
# Snippet markers: control characters that cannot come from escaped text (service.highlight).
START, STOP = "\x02", "\x03"


@dataclass(frozen=True)
class MatchSpec:
    """What `match` asks an engine for, beside the parsed query.

    tokens: groups of filter tokens (any of a group, every group); window: the newest that many
    matches (None: all); bounds: an inclusive post id range; expand: the thesaurus ("all", "same"
    language, or False); primary: the words as typed in the post's own title, tags and text only;
    ranked=False: which posts match, without the cost of ranking them; table: the index to ask
    (`window_table`), the full one by default."""

    tokens: tuple | list = ()
    window: int | None = None
    bounds: tuple[int | None, int | None] = (None, None)
    expand: str | bool = "all"
    primary: bool = False
    ranked: bool = True
    table: str | None = None
