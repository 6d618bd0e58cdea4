"""What the search page and the API take in: a query as typed, or the advanced form's fields."""

from pydantic import BaseModel

from app.search.query import unparse_value

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

    def query(self) -> str:
        """The same query typed by hand: words, a phrase, alternatives, exclusions, then filters."""
        parts = [w for w in self.all_words.split() if w]
        if self.phrase.strip():
            parts.append('"' + self.phrase.replace('"', " ").strip() + '"')
        alternatives = [w for w in self.any_words.split() if w]
        if len(alternatives) > 1:
            parts.append("(" + " OR ".join(alternatives) + ")")
        elif alternatives:
            parts.append(alternatives[0])
        parts += ["-" + w for w in self.none_words.split() if w]
        for key in FILTER_FIELDS:
            value = getattr(self, key).strip()
            if value:
                parts.append(f"{key}:{unparse_value(value)}")
        if self.where in ("title", "attachments"):
            parts.append(f"in:{self.where}")
        if self.has_attachment:
            parts.append("has:attachment")
        return " ".join(parts)
