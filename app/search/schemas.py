"""What the search page and the API take in: a query as typed, or the advanced form's fields."""

from pydantic import BaseModel

# The advanced form's fields that become `key:value` filters, in the order they are written.
FILTER_FIELDS = ("sector", "jurisdiction", "instrument", "tag", "kind", "author", "after", "before", "status")


class SearchParams(BaseModel):
    """A search as a query string, for the page and the API alike."""

    q: str = ""
    sort: str = "relevance"
    cursor: str | None = None
    include_hidden: bool = False

    def options(self) -> dict:
        """service.search's keyword arguments."""
        return {"sort": self.sort, "cursor": self.cursor, "include_hidden": self.include_hidden}


class AdvancedSearch(BaseModel):
    """The advanced form: each field one part of the query a person could type."""

    all_words: str = ""
    phrase: str = ""
    any_words: str = ""
    none_words: str = ""
    sector: str = ""
    jurisdiction: str = ""
    instrument: str = ""
    tag: str = ""
    kind: str = ""
    author: str = ""
    after: str = ""
    before: str = ""
    where: str = ""
    has_attachment: str = ""
    status: str = ""
    sort: str = "relevance"
