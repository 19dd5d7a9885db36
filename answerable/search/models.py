"""The search index's own rows. The full-text structures over them (FTS5 tables on SQLite, a tsvector column
and GIN indexes on PostgreSQL) and the triggers that fill them are SQL: see schema.py."""

from django.db import models

from answerable.tickets.models import Ticket


class SearchDocument(models.Model):
    """One message as the search sees it: its text, and what describes its ticket. Written only by the
    database triggers (and `manage.py search reindex`), never by the ORM."""

    id = models.BigAutoField(primary_key=True)  # the message's id
    # No database constraint and no cascade: the triggers delete a document with its message.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    kind = models.CharField(max_length=16)
    body = models.TextField()
    meta = models.TextField()
    # Has text of a script written without spaces: searched by substring (trigram) as well.
    cjk = models.BooleanField(default=False)

    class Meta:
        db_table = "search_document"
        indexes = [
            # snippets for a page of tickets, and exclusions: a ticket's documents.
            models.Index(fields=["ticket"], name="search_document_ticket"),
            # CJK terms of fewer than three characters: a scan of the CJK rows only.
            models.Index(fields=["id"], condition=models.Q(cjk=True), name="search_document_cjk_rows"),
        ]

    def __str__(self) -> str:
        return f"document of message {self.pk}"


class ReindexState(models.Model):
    """Where `manage.py search reindex` stopped, so an interrupted run goes on from there."""

    last_id = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reindex from {self.started_at}: at message {self.last_id}"
