"""The SQL that differs between SQLite (FTS5) and PostgreSQL (tsvector, pg_trgm). The services build one
query shape around these pieces; everything here takes parameters, never pasted values.

Conventions: `d` is search_document; a "stream" yields (mid) newest first, a "hits" query (mid, s) with s
the rank, lower is better; `bound` is the lowest document id to read (the window, see services._run).
"""

# SQL assembled from constant pieces and placeholders; every value travels as a parameter.
# ruff: noqa: S608

from answerable.search.schema import TS_CONFIG
from answerable.search.syntax import Term

# Snippets mark matches with private-use characters, turned into <mark> after escaping the text.
MARK_START, MARK_END = "\ue000", "\ue001"


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

    def cjk_documents(self, term: Term) -> tuple[str, list]:
        cond, params = self.cjk_condition(term)
        return f"SELECT d.id FROM search_document d WHERE {cond}", params

    def word_documents(self, term: Term) -> tuple[str, list]:
        """Documents with the (non-CJK) term, as (id) rows: for exclusions."""
        return "SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [self.fts_query([term])]

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

    def stream(self, words: list[Term], bound: int) -> tuple[str, list]:
        return (
            f"SELECT d0.id AS mid FROM search_document d0 "
            f"WHERE d0.tsv @@ websearch_to_tsquery('{TS_CONFIG}', %s) AND d0.id >= %s",
            [self.websearch(words), bound],
        )

    def hits(self, words: list[Term], bound: int) -> tuple[str, list]:
        return (
            f"""SELECT d0.id AS mid, -ts_rank(d0.tsv, q) AS s
            FROM search_document d0, websearch_to_tsquery('{TS_CONFIG}', %s) q
            WHERE d0.tsv @@ q AND d0.id >= %s""",
            [self.websearch(words), bound],
        )

    def cjk_condition(self, term: Term) -> tuple[str, list]:
        # The partial trigram index serves "cjk AND ... ILIKE" for three characters and more.
        return "(d.cjk AND (d.body || ' ' || d.meta) ILIKE %s)", [_like(term.text)]

    def cjk_stream(self, term: Term, bound: int) -> tuple[str, list]:
        cond, params = self.cjk_condition(term)
        return f"SELECT d.id AS mid, 0.0::float8 AS s FROM search_document d WHERE {cond} AND d.id >= %s", [
            *params,
            bound,
        ]

    def cjk_documents(self, term: Term) -> tuple[str, list]:
        cond, params = self.cjk_condition(term)
        return f"SELECT d.id FROM search_document d WHERE {cond}", params

    def word_documents(self, term: Term) -> tuple[str, list]:
        return (
            f"SELECT id FROM search_document WHERE tsv @@ websearch_to_tsquery('{TS_CONFIG}', %s)",
            [self.websearch([term])],
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
