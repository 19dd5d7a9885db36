"""`answerable import zendesk PATH`: a small Zendesk export in, tickets and threads out, through the services;
a re-run adds only what is new."""

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from answerable.api.models import ImportedRecord
from answerable.customers.models import Customer, Organisation
from answerable.promises.models import Promise
from answerable.tickets.models import Event, Message, Ticket

EXPORT = Path(__file__).parent / "data" / "zendesk"


def run(path=EXPORT, *args) -> str:
    out = StringIO()
    call_command("import", "zendesk", str(path), "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def imported(external_id: int) -> Ticket:
    record = ImportedRecord.objects.get(source="zendesk", kind="ticket", external_id=str(external_id))
    return Ticket.objects.get(pk=record.object_id)


def test_tickets_threads_people_and_statuses_are_imported(world):
    out = run(EXPORT, "--team", "Billing", "--as", "sue")
    assert "Created: " in out and "3 tickets" in out
    charged = imported(1001)
    assert (charged.team, charged.status, charged.priority) == (world.billing, "solved", 3)
    assert charged.customer.name == "Nia Obi" and charged.customer.organisation.name == "Globex"
    assert charged.assignee == world.alice
    assert sorted(charged.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert charged.created_at.isoformat() == "2024-03-04T09:15:00+00:00"
    thread = list(charged.messages.order_by("created_at", "id"))
    assert [m.kind for m in thread] == ["inbound", "outbound", "note", "inbound"]
    reply, note = thread[1], thread[2]
    assert reply.author == world.alice and reply.delivery == "sent"  # already sent from Zendesk: never mailed
    assert note.author == world.sue and note.text.startswith(
        "[Written in Zendesk by Zed Former <zed@old.example>]"
    )
    assert thread[0].html and "<p>" in thread[0].html
    # nothing to send: no acknowledgement, no queued reply, and no promise left to break
    assert not Message.objects.filter(delivery="queued").exists()
    assert not Promise.objects.filter(ticket=charged, status="open").exists()
    assert Event.objects.filter(ticket=charged, kind="created", data__channel="zendesk").exists()


def test_agent_opened_tickets_groups_and_existing_customers(world):
    run(EXPORT, "--team", "Billing", "--as", "sue")
    bounced = imported(1002)
    assert bounced.team == world.billing  # its group "Legacy queue" is no team here: the default team
    assert bounced.status == "on_hold" and bounced.priority == 4
    assert bounced.customer == world.billing_ticket.customer  # Ana, found by her address
    first, reply, answer = bounced.messages.order_by("created_at", "id")
    assert (
        first.kind == "inbound" and "invoice for April" in first.text
    )  # the description, not an agent's words
    assert reply.kind == "outbound" and reply.text.startswith("[Written in Zendesk by Zed Former")
    assert answer.kind == "inbound" and answer.text == "It is accounts@acme.example now."
    assert imported(1004).status == "closed"


def test_the_summary_says_what_was_skipped_and_why(world):
    out = run(EXPORT, "--team", "Billing", "--as", "sue")
    assert "user 3 (Phone Caller): no email address" in out
    assert "user 4 <typo-at-example>" in out
    assert "2 tickets: requester cannot be a customer" in out
    assert Organisation.objects.filter(name__in=["Acme Corp", "Globex"]).count() == 2


def test_a_rerun_creates_nothing_and_a_newer_export_adds_only_new_comments(world, tmp_path):
    run(EXPORT, "--team", "Billing", "--as", "sue")
    counts = (
        Ticket.objects.count(),
        Message.objects.count(),
        Customer.objects.count(),
        Event.objects.count(),
    )
    again = run(EXPORT, "--team", "Billing", "--as", "sue")
    assert "3 tickets: already imported" in again
    assert (
        Ticket.objects.count(),
        Message.objects.count(),
        Customer.objects.count(),
        Event.objects.count(),
    ) == counts
    newer = tmp_path / "export"
    shutil.copytree(EXPORT, newer)
    lines = (newer / "tickets.json").read_text().splitlines()
    first = json.loads(lines[0])
    first["status"] = "open"
    first["comments"].append({"id": 9005, "author_id": 2, "body": "Actually it came back.", "public": True,
                              "created_at": "2024-03-07T10:00:00Z"})  # fmt: skip
    (newer / "tickets.json").write_text("\n".join([json.dumps(first), *lines[1:]]))
    out = run(newer, "--team", "Billing", "--as", "sue")
    assert "1 comments added to tickets imported before" in out
    charged = imported(1001)
    assert charged.messages.count() == 5 and charged.status == "open"


def test_without_a_team_tickets_outside_known_groups_are_skipped(world):
    out = run(EXPORT, "--as", "sue")
    assert "no team (give --team)" in out
    assert imported(1001).team == world.billing  # group "Billing" is a team


def test_bad_exports_are_clear_errors(world, tmp_path):
    with pytest.raises(CommandError, match=r"No tickets\.json"):
        run(tmp_path, "--as", "sue")
    (tmp_path / "tickets.json").write_text('{"id": 1}\nnot json\n')
    with pytest.raises(CommandError, match="line 2 is not JSON"):
        run(tmp_path, "--as", "sue")
    with pytest.raises(CommandError, match="No team"):
        run(EXPORT, "--team", "Nowhere", "--as", "sue")
