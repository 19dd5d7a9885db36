"""The search index's SQL per database: tables, and the triggers that keep it in step with the data.

Every message has one row in `search_document` (same id): its text in `body`, and in `meta` what describes
its ticket (reference, subject, customer name and addresses, organisation, tags), so one row answers
"refund acme". Triggers on the tables the index reads rewrite those rows in the same statement, hence in
the same transaction: a rollback takes the index back with the data, and nothing can write around it.

- SQLite: two FTS5 tables over `search_document` (external content, so the text is stored once):
  `search_fts` (unicode61, accents folded, porter stemming) and `search_cjk` (trigram; only rows with
  CJK text, for languages written without spaces).
- PostgreSQL: a `tsv` column (configuration `answerable_search`: english stemming after unaccent) with a
  GIN index, and a pg_trgm index over the rows with CJK text.
"""

# SQL assembled from this module's own constant pieces; no value from outside reaches it.
# ruff: noqa: S608

from django.db.backends.base.base import BaseDatabaseWrapper

CJK_CLASS = "[぀-ヿ㐀-䶿一-鿿가-힯豈-﫿]"  # the same ranges as syntax.CJK
TS_CONFIG = "answerable_search"


def _meta_sqlite(ticket_id: str) -> str:
    """The meta text of a ticket, as one scalar subquery."""
    return f"""(SELECT '#' || t.id || ' ' || t.subject || ' ' || c.name || ' '
        || coalesce((SELECT group_concat(e.address, ' ') FROM customers_customeremail e
                     WHERE e.customer_id = c.id), '') || ' '
        || coalesce(o.name, '') || ' '
        || coalesce((SELECT group_concat(g.name, ' ') FROM tickets_ticket_tags tt
                     JOIN tickets_tag g ON g.id = tt.tag_id WHERE tt.ticket_id = t.id), '')
      FROM tickets_ticket t JOIN customers_customer c ON c.id = t.customer_id
      LEFT JOIN customers_organisation o ON o.id = c.organisation_id WHERE t.id = {ticket_id})"""


def _cjk_sqlite(body: str, meta: str) -> str:
    return f"(({body}) || ' ' || ({meta})) GLOB '*{CJK_CLASS}*'"


def _refresh_sqlite(where: str) -> str:
    """Rewrite the meta of the documents selected by `where` (after a rename, a new address, a tag ...)."""
    meta = _meta_sqlite("search_document.ticket_id")
    return f"""UPDATE search_document SET meta = coalesce({meta}, ''),
        cjk = {_cjk_sqlite("body", f"coalesce({meta}, '')")} WHERE {where};"""


_OF_CUSTOMER = "ticket_id IN (SELECT id FROM tickets_ticket WHERE customer_id = {}.customer_id)"
_OF_TAG = "ticket_id IN (SELECT ticket_id FROM tickets_ticket_tags WHERE tag_id = NEW.id)"


def sqlite_install() -> list[str]:
    meta_new = f"coalesce({_meta_sqlite('NEW.ticket_id')}, '')"
    fts_cols = "rowid, body, meta"
    return [
        "CREATE VIRTUAL TABLE search_fts USING fts5(body, meta, content='search_document', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE search_cjk USING fts5(body, meta, content='search_document', "
        "content_rowid='id', tokenize='trigram')",
        # search_document -> the FTS tables (the documented external-content pattern).
        f"""CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN
            INSERT INTO search_fts({fts_cols}) VALUES (NEW.id, NEW.body, NEW.meta);
            INSERT INTO search_cjk({fts_cols}) SELECT NEW.id, NEW.body, NEW.meta WHERE NEW.cjk;
        END""",
        f"""CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN
            INSERT INTO search_fts(search_fts, {fts_cols}) VALUES ('delete', OLD.id, OLD.body, OLD.meta);
            INSERT INTO search_cjk(search_cjk, {fts_cols}) SELECT 'delete', OLD.id, OLD.body, OLD.meta
                WHERE OLD.cjk;
        END""",
        f"""CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN
            INSERT INTO search_fts(search_fts, {fts_cols}) VALUES ('delete', OLD.id, OLD.body, OLD.meta);
            INSERT INTO search_cjk(search_cjk, {fts_cols}) SELECT 'delete', OLD.id, OLD.body, OLD.meta
                WHERE OLD.cjk;
            INSERT INTO search_fts({fts_cols}) VALUES (NEW.id, NEW.body, NEW.meta);
            INSERT INTO search_cjk({fts_cols}) SELECT NEW.id, NEW.body, NEW.meta WHERE NEW.cjk;
        END""",
        # The data -> search_document. WHEN clauses: Django's save() writes every column, and a delivery
        # update or a new last_activity_at must not rewrite the index.
        f"""CREATE TRIGGER search_message_ai AFTER INSERT ON tickets_message BEGIN
            INSERT INTO search_document (id, ticket_id, kind, body, meta, cjk)
            SELECT NEW.id, NEW.ticket_id, NEW.kind, NEW.text, m.meta, {_cjk_sqlite("NEW.text", "m.meta")}
            FROM (SELECT {meta_new} AS meta) m;
        END""",
        f"""CREATE TRIGGER search_message_au AFTER UPDATE OF text, kind, ticket_id ON tickets_message
        WHEN OLD.text IS NOT NEW.text OR OLD.kind IS NOT NEW.kind OR OLD.ticket_id IS NOT NEW.ticket_id
        BEGIN
            UPDATE search_document SET ticket_id = NEW.ticket_id, kind = NEW.kind, body = NEW.text,
                meta = m.meta, cjk = {_cjk_sqlite("NEW.text", "m.meta")}
            FROM (SELECT {meta_new} AS meta) m WHERE search_document.id = NEW.id;
        END""",
        """CREATE TRIGGER search_message_ad AFTER DELETE ON tickets_message BEGIN
            DELETE FROM search_document WHERE id = OLD.id;
        END""",
        f"""CREATE TRIGGER search_ticket_au AFTER UPDATE OF subject, customer_id ON tickets_ticket
        WHEN OLD.subject IS NOT NEW.subject OR OLD.customer_id IS NOT NEW.customer_id BEGIN
            {_refresh_sqlite("ticket_id = NEW.id")}
        END""",
        f"""CREATE TRIGGER search_customer_au AFTER UPDATE OF name, organisation_id ON customers_customer
        WHEN OLD.name IS NOT NEW.name OR OLD.organisation_id IS NOT NEW.organisation_id BEGIN
            {_refresh_sqlite("ticket_id IN (SELECT id FROM tickets_ticket WHERE customer_id = NEW.id)")}
        END""",
        f"""CREATE TRIGGER search_email_ai AFTER INSERT ON customers_customeremail BEGIN
            {_refresh_sqlite(_OF_CUSTOMER.format("NEW"))}
        END""",
        f"""CREATE TRIGGER search_email_au AFTER UPDATE OF address, customer_id ON customers_customeremail
        WHEN OLD.address IS NOT NEW.address OR OLD.customer_id IS NOT NEW.customer_id BEGIN
            {
            _refresh_sqlite(
                "ticket_id IN (SELECT id FROM tickets_ticket WHERE customer_id IN "
                "(OLD.customer_id, NEW.customer_id))"
            )
        }
        END""",
        f"""CREATE TRIGGER search_email_ad AFTER DELETE ON customers_customeremail BEGIN
            {_refresh_sqlite(_OF_CUSTOMER.format("OLD"))}
        END""",
        f"""CREATE TRIGGER search_org_au AFTER UPDATE OF name ON customers_organisation
        WHEN OLD.name IS NOT NEW.name BEGIN
            {
            _refresh_sqlite(
                "ticket_id IN (SELECT t.id FROM tickets_ticket t JOIN customers_customer c "
                "ON c.id = t.customer_id WHERE c.organisation_id = NEW.id)"
            )
        }
        END""",
        f"""CREATE TRIGGER search_tags_ai AFTER INSERT ON tickets_ticket_tags BEGIN
            {_refresh_sqlite("ticket_id = NEW.ticket_id")}
        END""",
        f"""CREATE TRIGGER search_tags_ad AFTER DELETE ON tickets_ticket_tags BEGIN
            {_refresh_sqlite("ticket_id = OLD.ticket_id")}
        END""",
        f"""CREATE TRIGGER search_tag_au AFTER UPDATE OF name ON tickets_tag
        WHEN OLD.name IS NOT NEW.name BEGIN
            {_refresh_sqlite(_OF_TAG)}
        END""",
    ]


SQLITE_TRIGGERS = (
    "search_document_ai", "search_document_ad", "search_document_au", "search_message_ai",
    "search_message_au", "search_message_ad", "search_ticket_au", "search_customer_au", "search_email_ai",
    "search_email_au", "search_email_ad", "search_org_au", "search_tags_ai", "search_tags_ad",
    "search_tag_au",
)  # fmt: skip


def sqlite_uninstall() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS] + [
        "DROP TABLE IF EXISTS search_fts",
        "DROP TABLE IF EXISTS search_cjk",
    ]


def postgresql_install() -> list[str]:
    return [
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = pg_catalog.english)",
        f"ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG} ALTER MAPPING FOR hword, hword_part, word "
        "WITH unaccent, english_stem",
        "ALTER TABLE search_document ADD COLUMN tsv tsvector NOT NULL DEFAULT ''",
        "CREATE INDEX search_document_tsv ON search_document USING gin (tsv)",
        # Substring search for CJK text: only those rows, so the index stays small.
        "CREATE INDEX search_document_cjk ON search_document USING gin ((body || ' ' || meta) gin_trgm_ops) "
        "WHERE cjk",
        """CREATE FUNCTION search_meta(tid bigint) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT '#' || t.id || ' ' || t.subject || ' ' || c.name || ' '
                || coalesce((SELECT string_agg(e.address, ' ') FROM customers_customeremail e
                             WHERE e.customer_id = c.id), '') || ' '
                || coalesce(o.name, '') || ' '
                || coalesce((SELECT string_agg(g.name, ' ') FROM tickets_ticket_tags tt
                             JOIN tickets_tag g ON g.id = tt.tag_id WHERE tt.ticket_id = t.id), '')
            FROM tickets_ticket t JOIN customers_customer c ON c.id = t.customer_id
            LEFT JOIN customers_organisation o ON o.id = c.organisation_id WHERE t.id = tid
        $$""",
        f"""CREATE FUNCTION search_document_fill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            NEW.cjk := (NEW.body || ' ' || NEW.meta) ~ '{CJK_CLASS}';
            NEW.tsv := setweight(to_tsvector('{TS_CONFIG}', NEW.meta), 'A')
                || setweight(to_tsvector('{TS_CONFIG}', NEW.body), 'B');
            RETURN NEW;
        END $$""",
        "CREATE TRIGGER search_document_fill BEFORE INSERT OR UPDATE OF body, meta ON search_document "
        "FOR EACH ROW EXECUTE FUNCTION search_document_fill()",
        """CREATE FUNCTION search_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM search_document WHERE id = OLD.id;
                RETURN OLD;
            END IF;
            INSERT INTO search_document (id, ticket_id, kind, body, meta, cjk)
            VALUES (NEW.id, NEW.ticket_id, NEW.kind, NEW.text, coalesce(search_meta(NEW.ticket_id), ''),
                    false)
            ON CONFLICT (id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, kind = EXCLUDED.kind,
                body = EXCLUDED.body, meta = EXCLUDED.meta;
            RETURN NEW;
        END $$""",
        "CREATE TRIGGER search_message_ai AFTER INSERT OR DELETE ON tickets_message "
        "FOR EACH ROW EXECUTE FUNCTION search_message_changed()",
        "CREATE TRIGGER search_message_au AFTER UPDATE OF text, kind, ticket_id ON tickets_message "
        "FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.kind IS DISTINCT FROM NEW.kind "
        "OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id) EXECUTE FUNCTION search_message_changed()",
        # Meta changes: one function, told by the trigger which tickets' documents to rewrite.
        """CREATE FUNCTION search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE r record;
        BEGIN
            IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
            IF TG_TABLE_NAME = 'tickets_ticket' THEN
                UPDATE search_document SET meta = coalesce(search_meta(ticket_id), '') WHERE ticket_id = r.id;
            ELSIF TG_TABLE_NAME = 'tickets_ticket_tags' THEN
                UPDATE search_document SET meta = coalesce(search_meta(ticket_id), '')
                WHERE ticket_id = r.ticket_id;
            ELSIF TG_TABLE_NAME = 'customers_customer' THEN
                UPDATE search_document SET meta = coalesce(search_meta(ticket_id), '')
                WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE customer_id = r.id);
            ELSIF TG_TABLE_NAME = 'customers_customeremail' THEN
                UPDATE search_document SET meta = coalesce(search_meta(ticket_id), '')
                WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE customer_id = r.customer_id
                    OR (TG_OP = 'UPDATE' AND customer_id = OLD.customer_id));
            ELSIF TG_TABLE_NAME = 'customers_organisation' THEN
                UPDATE search_document SET meta = coalesce(search_meta(ticket_id), '')
                WHERE ticket_id IN (SELECT t.id FROM tickets_ticket t JOIN customers_customer c
                    ON c.id = t.customer_id WHERE c.organisation_id = r.id);
            ELSIF TG_TABLE_NAME = 'tickets_tag' THEN
                UPDATE search_document SET meta = coalesce(search_meta(ticket_id), '')
                WHERE ticket_id IN (SELECT ticket_id FROM tickets_ticket_tags WHERE tag_id = r.id);
            END IF;
            RETURN NULL;
        END $$""",
        "CREATE TRIGGER search_ticket_au AFTER UPDATE OF subject, customer_id ON tickets_ticket FOR EACH ROW "
        "WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.customer_id IS DISTINCT FROM NEW.customer_id) "
        "EXECUTE FUNCTION search_refresh()",
        "CREATE TRIGGER search_customer_au AFTER UPDATE OF name, organisation_id ON customers_customer "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name "
        "OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id) EXECUTE FUNCTION search_refresh()",
        "CREATE TRIGGER search_email_aid AFTER INSERT OR DELETE ON customers_customeremail FOR EACH ROW "
        "EXECUTE FUNCTION search_refresh()",
        "CREATE TRIGGER search_email_au AFTER UPDATE OF address, customer_id ON customers_customeremail "
        "FOR EACH ROW WHEN (OLD.address IS DISTINCT FROM NEW.address "
        "OR OLD.customer_id IS DISTINCT FROM NEW.customer_id) EXECUTE FUNCTION search_refresh()",
        "CREATE TRIGGER search_org_au AFTER UPDATE OF name ON customers_organisation FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION search_refresh()",
        "CREATE TRIGGER search_tags_aid AFTER INSERT OR DELETE ON tickets_ticket_tags FOR EACH ROW "
        "EXECUTE FUNCTION search_refresh()",
        "CREATE TRIGGER search_tag_au AFTER UPDATE OF name ON tickets_tag FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION search_refresh()",
    ]


def postgresql_uninstall() -> list[str]:
    drops = [
        ("search_message_ai", "tickets_message"), ("search_message_au", "tickets_message"),
        ("search_ticket_au", "tickets_ticket"), ("search_customer_au", "customers_customer"),
        ("search_email_aid", "customers_customeremail"), ("search_email_au", "customers_customeremail"),
        ("search_org_au", "customers_organisation"), ("search_tags_aid", "tickets_ticket_tags"),
        ("search_tag_au", "tickets_tag"), ("search_document_fill", "search_document"),
    ]  # fmt: skip
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in drops] + [
        "DROP FUNCTION IF EXISTS search_refresh()",
        "DROP FUNCTION IF EXISTS search_message_changed()",
        "DROP FUNCTION IF EXISTS search_document_fill()",
        "DROP FUNCTION IF EXISTS search_meta(bigint)",
        "DROP INDEX IF EXISTS search_document_cjk",
        "DROP INDEX IF EXISTS search_document_tsv",
        "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv",
        f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {TS_CONFIG}",
    ]


def fill_sql(vendor: str, where: str) -> str:
    """(Re)build the documents of the messages selected by `where` (on tickets_message m), from the data.
    Used by the migration and by `manage.py search reindex`; the triggers above do the same row by row."""
    if vendor == "postgresql":
        # ON CONFLICT: a message committed by the desk meanwhile already has its row from the trigger.
        return f"""INSERT INTO search_document (id, ticket_id, kind, body, meta, cjk)
            SELECT m.id, m.ticket_id, m.kind, m.text, coalesce(search_meta(m.ticket_id), ''), false
            FROM tickets_message m WHERE {where}
            ON CONFLICT (id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, kind = EXCLUDED.kind,
                body = EXCLUDED.body, meta = EXCLUDED.meta"""
    meta = f"coalesce({_meta_sqlite('m.ticket_id')}, '')"
    return f"""INSERT INTO search_document (id, ticket_id, kind, body, meta, cjk)
        SELECT id, ticket_id, kind, text, meta, {_cjk_sqlite("text", "meta")} FROM
        (SELECT m.id, m.ticket_id, m.kind, m.text, {meta} AS meta FROM tickets_message m WHERE {where})"""


def install(connection: BaseDatabaseWrapper) -> None:
    statements = {"sqlite": sqlite_install, "postgresql": postgresql_install}.get(connection.vendor)
    if statements is None:
        raise RuntimeError(f"Search supports SQLite and PostgreSQL, not {connection.vendor}.")
    with connection.cursor() as cur:
        for sql in statements():
            cur.execute(sql)
        cur.execute(fill_sql(connection.vendor, "1 = 1"))


def uninstall(connection: BaseDatabaseWrapper) -> None:
    statements = {"sqlite": sqlite_uninstall, "postgresql": postgresql_uninstall}[connection.vendor]
    with connection.cursor() as cur:
        for sql in statements():
            cur.execute(sql)
