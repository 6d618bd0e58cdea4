"""What both engines share: the index as a table clause and the snippet markers."""

from sqlalchemy import column, table

# A table clause, not text(): the match subquery is joined to ORM selects of posts.
SEARCH_TABLE = table("search_index", column("rowid"), column("post_id"))
RANKED_TABLE = table("search_index", column("post_id"), column("document_tsv"))
# Snippet markers: control characters that cannot come from escaped text (service.highlight).
START, STOP = "\x02", "\x03"
