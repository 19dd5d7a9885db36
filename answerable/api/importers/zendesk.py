"""Import from a Zendesk export: organisations, users, tickets and their comments, through the services.

The export is a folder of JSON files, in any of the shapes Zendesk produces: the full JSON export (one object
a line), API list pages (`{"tickets": [...]}`), or plain arrays.

    organizations.json   {id, name, details, notes, ...}
    users.json           {id, name, email, role: end-user | agent | admin, organization_id, ...}
    tickets.json         {id, subject, status, priority, requester_id, assignee_id, group_id, tags,
                          created_at, updated_at, comments: [...]?}
    comments.json        optional, {id, ticket_id, author_id, body, html_body, public, created_at}
                         (or each ticket's comments inside it, as "comments")
    groups.json          optional, {id, name}: a group named like a team goes to that team

Mapping: end-users become customers (found by address, else created), agents are matched to our agents by
address; a comment by an agent we do not have is written by the importing agent, headed with who wrote it.
Public comments by the customer are their messages, public comments by agents replies (recorded as already
sent: nothing is mailed), private comments internal notes. Statuses map one to one (hold -> on hold).

Idempotent: every object imported is remembered by its Zendesk id (ImportedRecord); a re-run skips what it
has and adds only what is new (e.g. comments added since the last export). Each ticket is one transaction.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from answerable.api.models import ImportedRecord
from answerable.customers import services as customers
from answerable.customers.models import Customer, CustomerEmail, Organisation
from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.staff.models import Agent, Team
from answerable.tickets import services as tickets
from answerable.tickets.models import Message, Priority, Status, Ticket
from answerable.webhooks import services as webhooks

SOURCE = "zendesk"
STATUSES = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "on-hold": Status.ON_HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
PRIORITIES = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}


class ExportError(Exception):
    """The export cannot be read at all (a missing or unreadable file)."""


def read_records(path: Path, key: str) -> list[dict]:
    """Objects from a Zendesk JSON file: an API page ({key: [...]}), a plain array, or one object a line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(f"Cannot read {path}: {exc}") from exc
    text = text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict):
        if isinstance(data.get(key), list):
            return [r for r in data[key] if isinstance(r, dict)]
        return [data]
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExportError(f"{path.name} line {number} is not JSON: {exc.msg}") from None
            if isinstance(record, dict):
                records.append(record)
    return records


def _when(value: object, default: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=default.tzinfo)
    return default


@dataclass
class Summary:
    created: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def skip(self, what: str, reason: str, detail: str) -> None:
        self.skipped[f"{what}: {reason}"] += 1
        self.notes.append(f"{detail}: {reason}")


class ZendeskImport:
    def __init__(self, folder: Path, *, actor: Agent, team: Team | None, now: datetime) -> None:
        self.folder, self.actor, self.default_team, self.now = folder, actor, team, now
        self.summary = Summary()
        self.users: dict[str, dict] = {}
        self.orgs: dict[str, Organisation] = {}
        self.customers: dict[str, Customer | None] = {}
        self.agents: dict[str, Agent | None] = {}
        self.groups: dict[str, Team] = {}
        self.comments: dict[str, list[dict]] = {}

    # --- reading ---------------------------------------------------------------------------------------

    def _file(self, *names: str) -> Path | None:
        return next((self.folder / n for n in names if (self.folder / n).is_file()), None)

    def load(self) -> list[dict]:
        """Read the files and bring in organisations and users; returns the tickets to import."""
        tickets_file = self._file("tickets.json", "tickets.jsonl", "tickets.ndjson")
        if tickets_file is None:
            raise ExportError(f"No tickets.json in {self.folder}.")
        if groups := self._file("groups.json"):
            teams = {t.name.lower(): t for t in Team.objects.all()}
            for g in read_records(groups, "groups"):
                if str(g.get("name", "")).lower() in teams:
                    self.groups[str(g.get("id"))] = teams[str(g["name"]).lower()]
        if orgs := self._file("organizations.json", "organisations.json"):
            for o in read_records(orgs, "organizations"):
                self._organisation(o)
        if users := self._file("users.json"):
            self.users = {str(u.get("id")): u for u in read_records(users, "users")}
        if comments := self._file("comments.json", "ticket_comments.json"):
            for c in read_records(comments, "comments"):
                self.comments.setdefault(str(c.get("ticket_id")), []).append(c)
        return read_records(tickets_file, "tickets")

    # --- organisations and people ----------------------------------------------------------------------

    def _remembered(self, kind: str, external_id: str) -> ImportedRecord | None:
        return ImportedRecord.objects.filter(source=SOURCE, kind=kind, external_id=external_id).first()

    def _remember(self, kind: str, external_id: str, obj: object) -> None:
        meta = obj._meta  # type: ignore[attr-defined]
        ImportedRecord.objects.get_or_create(
            source=SOURCE,
            kind=kind,
            external_id=external_id,
            defaults={"model": meta.label_lower, "object_id": obj.pk, "imported_at": self.now},  # type: ignore[attr-defined]
        )

    def _organisation(self, o: dict) -> None:
        oid = str(o.get("id"))
        if found := self._remembered("organization", oid):
            if org := Organisation.objects.filter(pk=found.object_id).first():
                self.orgs[oid] = org
            return
        name = str(o.get("name") or "").strip()
        if not name:
            self.summary.skip("organisations", "no name", f"organization {oid}")
            return
        notes = "\n".join(str(o[k]) for k in ("details", "notes") if o.get(k))
        with transaction.atomic():
            org, created = customers.find_or_create_organisation(name, notes=notes)
            self._remember("organization", oid, org)
        self.orgs[oid] = org
        self.summary.created["organisations" if created else "organisations matched"] += 1

    def customer(self, user_id: object) -> Customer | None:
        uid = str(user_id)
        if uid in self.customers:
            return self.customers[uid]
        self.customers[uid] = found = self._customer(uid)
        return found

    def _customer(self, uid: str) -> Customer | None:
        if record := self._remembered("user", uid):
            return Customer.objects.filter(pk=record.object_id).first()
        user = self.users.get(uid)
        if user is None:
            self.summary.skip("customers", "not in users.json", f"user {uid}")
            return None
        email = str(user.get("email") or "").strip()
        if not email:
            self.summary.skip("customers", "no email address", f"user {uid} ({user.get('name', '')})")
            return None
        existing = CustomerEmail.objects.select_related("customer").filter(address__iexact=email).first()
        try:
            with transaction.atomic():
                if existing:
                    customer = existing.customer
                    self.summary.created["customers matched by address"] += 1
                else:
                    customer = customers.create_customer(
                        name=str(user.get("name") or ""),
                        emails=[email],
                        organisation=self.orgs.get(str(user.get("organization_id"))),
                        notes=str(user.get("notes") or ""),
                    )
                    self.summary.created["customers"] += 1
                self._remember("user", uid, customer)
        except ValidationError as exc:
            self.summary.skip("customers", "bad address", f"user {uid} <{email}>: {' '.join(exc.messages)}")
            return None
        return customer

    def agent(self, user_id: object) -> Agent | None:
        """Our agent with the Zendesk agent's address, or None (then the importing agent writes it)."""
        uid = str(user_id)
        if uid not in self.agents:
            email = str(self.users.get(uid, {}).get("email") or "").strip()
            self.agents[uid] = (
                Agent.objects.filter(email__iexact=email, is_active=True).first() if email else None
            )
        return self.agents[uid]

    def is_agent(self, user_id: object) -> bool:
        return str(self.users.get(str(user_id), {}).get("role", "end-user")) in ("agent", "admin")

    def author_line(self, user_id: object) -> str:
        user = self.users.get(str(user_id), {})
        who = user.get("name") or f"Zendesk user {user_id}"
        return f"[Written in Zendesk by {who}{' <' + user['email'] + '>' if user.get('email') else ''}]\n\n"

    # --- tickets ---------------------------------------------------------------------------------------

    def team_for(self, t: dict) -> Team | None:
        return self.groups.get(str(t.get("group_id"))) or self.default_team

    def import_ticket(self, t: dict) -> None:
        tid = str(t.get("id"))
        comments = sorted(
            [c for c in (t.get("comments") or self.comments.get(tid, [])) if isinstance(c, dict)],
            key=lambda c: (str(c.get("created_at", "")), str(c.get("id", ""))),
        )
        with transaction.atomic():
            record = self._remembered("ticket", tid)
            if record is not None:
                ticket = Ticket.objects.filter(pk=record.object_id).first()
                if ticket is None:
                    self.summary.skip("tickets", "imported before, since deleted here", f"ticket {tid}")
                    return
                added = self._comments(ticket, t, comments)
                if added:
                    self.summary.created["comments added to tickets imported before"] += added
                    self._properties(ticket, t, tid)
                else:
                    self.summary.skip("tickets", "already imported", f"ticket {tid}")
                return
            self._new_ticket(tid, t, comments)

    def _new_ticket(self, tid: str, t: dict, comments: list[dict]) -> None:
        team = self.team_for(t)
        if team is None:
            self.summary.skip("tickets", "no team (give --team)", f"ticket {tid} (group {t.get('group_id')})")
            return
        customer = self.customer(t.get("requester_id"))
        if customer is None:
            self.summary.skip("tickets", "requester cannot be a customer", f"ticket {tid}")
            return
        created = _when(t.get("created_at"), self.now)
        first = comments[0] if comments else None
        by_requester = first is not None and str(first.get("author_id")) == str(t.get("requester_id"))
        if by_requester and first.get("public", True):
            text, html = (
                str(first.get("plain_body") or first.get("body") or ""),
                str(first.get("html_body") or ""),
            )
            comments = comments[1:]
        else:  # opened by an agent, or no comments: say so rather than put words in the customer's mouth
            text, html = (
                str(t.get("description") or "(Opened in Zendesk by an agent; the thread follows.)"),
                "",
            )
        ticket = tickets.open_ticket(
            customer=customer,
            team=team,
            subject=str(t.get("subject") or t.get("raw_subject") or ""),
            text=text,
            html=html,
            now=created,
            priority=PRIORITIES.get(str(t.get("priority")), Priority.NORMAL),
            actor=self.actor,
            channel="zendesk",
        )
        self._remember("ticket", tid, ticket)
        if by_requester and first is not None:
            self._remember("comment", str(first.get("id")), ticket.first_message)
        self.summary.created["tickets"] += 1
        self._comments(ticket, t, comments)
        self._properties(ticket, t, tid)

    def _comments(self, ticket: Ticket, t: dict, comments: list[dict]) -> int:
        added = 0
        for c in comments:
            cid = str(c.get("id"))
            if self._remembered("comment", cid):
                continue
            message = self._comment(ticket, t, c)
            if message is not None:
                self._remember("comment", cid, message)
                added += 1
        return added

    def _comment(self, ticket: Ticket, t: dict, c: dict) -> Message | None:
        at = _when(c.get("created_at"), self.now)
        text = str(c.get("plain_body") or c.get("body") or "")
        author = c.get("author_id")
        if not text.strip():
            self.summary.skip("comments", "empty", f"comment {c.get('id')}")
            return None
        if not self.is_agent(author) and c.get("public", True):
            sender = self.customer(author) or ticket.customer
            if (
                ticket.status == Status.CLOSED
            ):  # the customer wrote on a closed ticket in Zendesk: keep it as a note
                return tickets.add_note(
                    ticket, agent=self.actor, text=self.author_line(author) + text, now=at, promises=[]
                )
            self.summary.created["customer messages"] += 1
            return tickets.receive_message(
                ticket, sender=sender, text=text, html=str(c.get("html_body") or ""), now=at
            )
        agent = self.agent(author) if self.is_agent(author) else None
        body = text if agent else self.author_line(author) + text
        # Historical words: no promises are read into them (they were kept or broken in Zendesk).
        if c.get("public", True):
            self.summary.created["replies"] += 1
            return tickets.reply(
                ticket, agent=agent or self.actor, text=body, now=at, queue=False, promises=[]
            )
        self.summary.created["notes"] += 1
        return tickets.add_note(ticket, agent=agent or self.actor, text=body, now=at, promises=[])

    def _properties(self, ticket: Ticket, t: dict, tid: str) -> None:
        at = _when(t.get("updated_at"), ticket.last_activity_at)
        at = max(at, Ticket.objects.get(pk=ticket.pk).last_activity_at)
        if t.get("tags"):
            tickets.set_tags(ticket, [str(x) for x in t["tags"]], actor=self.actor, now=at)
        if t.get("assignee_id") is not None:
            agent = self.agent(t["assignee_id"])
            if agent is not None and (agent.is_admin or agent.teams.filter(pk=ticket.team_id).exists()):
                tickets.assign(ticket, agent, actor=self.actor, now=at)
            else:
                why = (
                    "has no agent here"
                    if agent is None
                    else f"({agent.username}) is not in {ticket.team.name}"
                )
                self.summary.notes.append(f"ticket {tid}: assignee {t['assignee_id']} {why}; left unassigned")
        status = STATUSES.get(str(t.get("status")), Status.OPEN)
        tickets.set_status(ticket, status, actor=self.actor, now=at)
        if status in (Status.SOLVED, Status.CLOSED):
            # Targets of a ticket that was finished in Zendesk are not ours to break now.
            for promise in Promise.objects.filter(ticket=ticket, status=Promise.Status.OPEN):
                ledger.drop(promise, actor=self.actor, now=at, reason="Imported from Zendesk already solved.")

    def run(self, records: list[dict], progress: Callable[[int], Any] | None = None) -> Summary:
        with webhooks.muted():  # history from another desk is not news for the integrations
            return self._run(records, progress)

    def _run(self, records: list[dict], progress: Callable[[int], Any] | None) -> Summary:
        for t in records:
            if t.get("id") is None:
                self.summary.skip("tickets", "no id", "a ticket without an id")
            else:
                self.import_ticket(t)
            if progress:
                progress(1)
        return self.summary


def iter_lines(summary: Summary) -> Iterator[str]:
    made = ", ".join(f"{n} {k}" for k, n in sorted(summary.created.items())) or "nothing"
    yield f"Created: {made}."
    if summary.skipped:
        yield "Skipped: " + ", ".join(f"{n} {k}" for k, n in sorted(summary.skipped.items())) + "."
    for line in summary.notes[:50]:
        yield f"  {line}"
    if len(summary.notes) > 50:
        yield f"  ... and {len(summary.notes) - 50} more"
