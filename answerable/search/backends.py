"""The SQL that differs between SQLite (FTS5) and PostgreSQL (tsvector, pg_trgm). The services build one
query shape around these pieces; everything here takes parameters, never pasted values.

Conventions: `d` is search_document; a "stream" yields (mid) newest first, a "hits" query (mid, s) with s
the rank, lower is better; `bound` is the lowest document id to read (the window, see services._run).
"""

# SQL assembled from constant pieces and placeholders; every value travels as a parameter.
# ruff: noqa: S608

from dataclasses import dataclass

from answerable.search.schema import TS_CONFIG
from answerable.search.syntax import Term

# Snippets mark matches with private-use characters, turned into <mark> after escaping the text.
MARK_START, MARK_END = "\ue000", "\ue001"


@dataclass(frozen=True)
class Documents:
    """The FROM clause that yields the matching documents as `d`, its WHERE condition, and how to name the
    document's id (newest first = highest) and its rank (lower is better) in the query around them."""

    from_sql: str
    from_params: list
    where_sql: str
    where_params: list
    mid: str
    score: str


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SQLiteBackend:
    vendor = "sqlite"

    @staticmethod
    def fts_query(terms: list[Term]) -> str:
        """FTS5 query: every term a quoted string (its own tokens as a phrase), all required."""
        return " ".join('"' + t.text.replace('"', '""') + '"' for t in terms)

    def stream(self, words: list[Term], bound: int) -> tuple[str, list]:
        """(mid) of the documents with all the words, newest first, from `bound` on: read lazily."""
        return (
            "SELECT rowid AS mid FROM search_fts WHERE search_fts MATCH %s AND rowid >= %s "
            "ORDER BY rowid DESC",
            [self.fts_query(words), bound],
        )

    def hits(self, words: list[Term], bound: int) -> tuple[str, list]:
        """(mid, s) of the documents with all the words from `bound` on, s the rank (lower is better).
        bm25 weights: a match in the ticket's description (subject, customer, tags) counts double. LIMIT -1
        (no limit) keeps SQLite from flattening this into the grouping query, where bm25() cannot run."""
        return (
            "SELECT rowid AS mid, bm25(search_fts, 1.0, 2.0) AS s FROM search_fts "
            "WHERE search_fts MATCH %s AND rowid >= %s LIMIT -1",
            [self.fts_query(words), bound],
        )

    def cjk_condition(self, term: Term) -> tuple[str, list]:
        """A document contains the CJK term. Trigram needs three characters; shorter terms scan the (few)
        documents with CJK text."""
        if len(term.text) >= 3:
            return (
                "d.id IN (SELECT rowid FROM search_cjk WHERE search_cjk MATCH %s)",
                ['"' + term.text.replace('"', '""') + '"'],
            )
        return "(d.cjk AND (instr(d.body, %s) > 0 OR instr(d.meta, %s) > 0))", [term.text, term.text]

    def cjk_stream(self, term: Term, bound: int) -> tuple[str, list]:
        cond, params = self.cjk_condition(term)
        return (
            f"SELECT d.id AS mid, 0.0 AS s FROM search_document d WHERE {cond} AND d.id >= %s "
            "ORDER BY d.id DESC",
            [*params, bound],
        )

    def documents(self, words: list[Term], cjk: Term | None, bound: int, ranked: bool) -> Documents:
        """The matching documents as `d`: FTS5 read newest first (or ranked) from `bound` on."""
        if words:
            inner, params = self.hits(words, bound) if ranked else self.stream(words, bound)
        else:
            inner, params = self.cjk_stream(cjk, bound)
        score = "h.s" if ranked and words else "0.0"
        return Documents(f"FROM ({inner}) h JOIN search_document d ON d.id = h.mid", params, "1 = 1", [],
                         "h.mid", score)  # fmt: skip

    def exclude(self, term: Term, kinds_sql: str, kinds: tuple[str, ...]) -> tuple[str, list]:
        """Tickets with no visible document holding the term. Materialised once (NOT IN): a correlated
        FTS5 lookup per ticket re-reads the term's whole doclist each time."""
        if term.cjk:
            cond, params = self.cjk_condition(term)
            docs = f"SELECT d.id FROM search_document d WHERE {cond}"
        else:
            docs, params = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [self.fts_query([term])]
        return (
            f"tickets_ticket.id NOT IN (SELECT dx.ticket_id FROM search_document dx "
            f"WHERE dx.kind IN ({kinds_sql}) AND dx.id IN ({docs}))",
            [*kinds, *params],
        )

    @staticmethod
    def score(expr: str) -> str:
        return f"MIN({expr})"


class PostgreSQLBackend:
    vendor = "postgresql"

    @staticmethod
    def websearch(terms: list[Term]) -> str:
        """The terms in websearch_to_tsquery's syntax, all required."""
        # Single words quoted too: unquoted, "or" and a leading "-" are operators to websearch_to_tsquery.
        return " ".join('"' + t.text.replace('"', " ") + '"' for t in terms)

    def documents(self, words: list[Term], cjk: Term | None, bound: int, ranked: bool) -> Documents:
        """The matching documents as `d` itself (no self-join): the GIN index, or the trigram one."""
        if words:
            return Documents(
                f"FROM search_document d CROSS JOIN websearch_to_tsquery('{TS_CONFIG}', %s) q",
                [self.websearch(words)],
                "d.tsv @@ q AND d.id >= %s", [bound], "d.id", "-ts_rank(d.tsv, q)" if ranked else "0.0",
            )  # fmt: skip
        cond, params = self.cjk_condition(cjk)
        return Documents(
            "FROM search_document d", [], f"{cond} AND d.id >= %s", [*params, bound], "d.id", "0.0"
        )

    def cjk_condition(self, term: Term, alias: str = "d") -> tuple[str, list]:
        # The partial trigram index serves "cjk AND ... ILIKE" for three characters and more.
        return f"({alias}.cjk AND ({alias}.body || ' ' || {alias}.meta) ILIKE %s)", [_like(term.text)]

    def exclude(self, term: Term, kinds_sql: str, kinds: tuple[str, ...]) -> tuple[str, list]:
        """Tickets with no visible document holding the term: an anti-join through the ticket's documents."""
        if term.cjk:
            cond, params = self.cjk_condition(term, "dx")
        else:
            cond, params = f"dx.tsv @@ websearch_to_tsquery('{TS_CONFIG}', %s)", [self.websearch([term])]
        return (
            f"NOT EXISTS (SELECT 1 FROM search_document dx WHERE dx.ticket_id = tickets_ticket.id "
            f"AND dx.kind IN ({kinds_sql}) AND {cond})",
            [*kinds, *params],
        )

    @staticmethod
    def score(expr: str) -> str:
        return f"MIN({expr})::float8"


def for_vendor(vendor: str) -> SQLiteBackend | PostgreSQLBackend:
    if vendor == "sqlite":
        return SQLiteBackend()
    if vendor == "postgresql":
        return PostgreSQLBackend()
    raise RuntimeError(f"Search supports SQLite and PostgreSQL, not {vendor}.")
