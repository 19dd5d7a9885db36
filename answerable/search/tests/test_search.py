"""Search through the real services and the real index, on whichever database the suite runs on."""

from datetime import timedelta

import pytest
from django.db import connection, transaction

from answerable.customers.models import Customer, CustomerEmail, Organisation
from answerable.lib.keyset import BadCursor
from answerable.promises.models import Promise
from answerable.search import services as search
from answerable.search.models import SearchDocument
from answerable.search.syntax import QuerySyntaxError
from answerable.staff.models import Agent
from answerable.tickets import services
from answerable.tickets.models import Message, Status, Ticket
from conftest import T0


def ids(page: search.Page) -> set[int]:
    return {h.ticket.pk for h in page.hits}


def found(user, text: str, **kw) -> set[int]:
    return ids(search.search(user, text, now=T0, **kw))


# --- what is indexed ------------------------------------------------------------------------------------


def test_finds_the_subject_every_message_kind_and_the_reference(world):
    t = world.billing_ticket
    services.reply(t, agent=world.alice, text="The reversal is on its way.", now=T0 + timedelta(hours=1))
    services.add_note(t, agent=world.alice, text="Checked with the bank first.", now=T0 + timedelta(hours=2))
    for text in ["refund", "told ship friday", "reversal", "bank", f"#{t.pk}", str(t.pk)]:
        assert t.pk in found(world.ada, text), text


def test_finds_the_customer_by_name_address_and_organisation_and_tags(world, make_customer, make_ticket):
    acme = Organisation.objects.create(name="Northwind Bakery")
    cara = make_customer("Cara Diaz", "cara@nwind.example", organisation=acme)
    t = make_ticket(world.billing, cara, subject="Question", text="Hello")
    services.set_tags(t, ["vip-account"], actor=world.alice, now=T0)
    for text in ["Cara", "diaz", "cara@nwind.example", "Northwind", "bakery", "vip-account"]:
        assert found(world.ada, text) == {t.pk}, text


def test_accents_are_folded_both_ways(world, make_ticket):
    t = make_ticket(world.billing, subject="Réservation", text="Le café était froid à Zürich, señor Müller.")
    for text in ["cafe", "CAFÉ", "reservation", "zurich", "senor", "muller", "était"]:
        assert found(world.ada, text) == {t.pk}, text


def test_english_words_are_stemmed(world, make_ticket):
    t = make_ticket(
        world.billing, subject="Charges", text="We were charged twice and the refunds never arrived."
    )
    for text in ["charge", "charging", "refund", "refunded", "arrive", "arrives"]:
        assert t.pk in found(world.ada, text), text


def test_japanese_and_chinese_words_are_found_without_spaces(world, make_ticket):
    jp = make_ticket(world.billing, subject="配送について", text="東京の倉庫から配送状況を確認してください。")
    zh = make_ticket(world.billing, subject="退款", text="我想申请退款申请。订单还没有到。")
    assert found(world.ada, "東京") == {jp.pk}  # two characters: substring scan of the CJK documents
    assert found(world.ada, "配送状況") == {jp.pk}  # three and more: the trigram index
    assert found(world.ada, "倉庫 確認") == {jp.pk}
    assert found(world.ada, "退款申请") == {zh.pk}
    assert found(world.ada, "订单") == {zh.pk}
    assert found(world.ada, "京都") == set()
    assert found(world.ada, "東京 -倉庫") == set()
    page = search.search(world.ada, "配送状況", now=T0)
    assert "<mark>配送状況</mark>" in page.hits[0].snippet


def test_cjk_and_latin_terms_together(world, make_ticket):
    t = make_ticket(world.billing, subject="Order 77 東京", text="Delivery to 東京 is late")
    make_ticket(world.billing, subject="Order 78", text="Delivery to Osaka is late")
    assert found(world.ada, "delivery 東京") == {t.pk}


# --- the language ---------------------------------------------------------------------------------------


def test_phrase_needs_the_words_together_in_order(world, make_ticket):
    a = make_ticket(world.billing, subject="A", text="Our parcel broke open during delivery.")
    b = make_ticket(world.billing, subject="B", text="Delivery was fine, but then the parcel broke later.")
    assert found(world.ada, '"open parcel"') == set()
    assert found(world.ada, '"parcel broke open"') == {a.pk}
    assert found(world.ada, "parcel broke") == {a.pk, b.pk}


def test_exclusion_removes_tickets_mentioning_the_word_anywhere(world, make_ticket):
    a = make_ticket(world.billing, subject="Refund", text="Refund by bank transfer please")
    b = make_ticket(world.billing, subject="Refund", text="Refund to my card please")
    services.reply(b, agent=world.alice, text="We cannot refund via paypal", now=T0 + timedelta(hours=1))
    assert found(world.ada, "refund -paypal") == {a.pk, world.billing_ticket.pk}
    assert found(world.ada, 'refund -"bank transfer"') == {b.pk, world.billing_ticket.pk}
    assert found(world.ada, "-paypal team:Billing") == {a.pk, world.billing_ticket.pk}


def test_filters_narrow_the_words(world, make_ticket, make_customer):
    a = make_ticket(world.billing, subject="Refund one", text="x")
    b = make_ticket(world.shipping, subject="Refund two", text="x")
    services.assign(a, world.alice, actor=world.alice, now=T0)
    services.set_status(b, Status.PENDING, actor=world.ada, now=T0)
    assert found(world.ada, "refund team:billing") == {a.pk, world.billing_ticket.pk}
    assert found(world.ada, "refund status:pending") == {b.pk}
    assert found(world.ada, "refund status:pending,new") == {a.pk, b.pk, world.billing_ticket.pk}
    assert found(world.ada, "refund status:pending status:new") == {a.pk, b.pk, world.billing_ticket.pk}
    assert found(world.ada, "refund -status:pending") == {a.pk, world.billing_ticket.pk}
    assert found(world.alice, "refund assignee:me") == {a.pk}
    assert found(world.ada, "refund assignee:alice") == {a.pk}
    assert found(world.ada, "refund assignee:none") == {b.pk, world.billing_ticket.pk}


def test_each_filter_alone(world, make_ticket, make_customer):
    org = Organisation.objects.create(name="Globex Corporation")
    gina = make_customer("Gina Globex", "gina@globex.example", organisation=org)
    pdf = services.IncomingFile("invoice.pdf", b"%PDF-1.4 test", "application/pdf")
    g = make_ticket(world.billing, gina, subject="Invoice", text="See attached", now=T0 - timedelta(days=10),
                    files=[pdf])  # fmt: skip
    services.set_tags(g, ["vip"], actor=world.ada, now=T0)
    services.reply(world.shipping_ticket, agent=world.bob, text="On its way", now=T0 + timedelta(minutes=5))
    ana, dev, s = world.billing_ticket, world.shipping_ticket, world.shipping_ticket
    assert found(world.ada, "from:gina@globex.example") == {g.pk}
    assert found(world.ada, "from:GINA@globex.example") == {g.pk}
    assert found(world.ada, "from:gina") == {g.pk}
    assert found(world.ada, "to:shipping@desk.example") == {s.pk}
    assert found(world.ada, "to:billing") == {ana.pk, g.pk}
    assert found(world.ada, "tag:vip") == {g.pk}
    assert found(world.ada, "-tag:vip team:billing") == {ana.pk}
    assert found(world.ada, "org:globex") == {g.pk}
    assert found(world.ada, "before:2026-03-05") == {g.pk}
    assert found(world.ada, "after:2026-03-05") == {ana.pk, dev.pk}
    assert found(world.ada, "has:attachment") == {g.pk}
    assert found(world.ada, "is:waiting") == {ana.pk, g.pk}  # the shipping ticket was answered
    Promise.objects.create(ticket=ana, text="call back", source="reply", kind="get_back", status="broken",
                           created_at=T0, due_at=T0 - timedelta(hours=1))  # fmt: skip
    Promise.objects.create(ticket=g, text="ship", source="reply", kind="delivery", status="open",
                           created_at=T0, due_at=T0 + timedelta(hours=3))  # fmt: skip
    assert ana.pk in found(world.ada, "promise:broken")
    assert g.pk not in found(world.ada, "promise:broken")
    assert g.pk in found(world.ada, "promise:due")


def test_dates_are_days_in_the_searchers_time_zone(world, make_ticket):
    # 23:30 UTC on the 4th is already the 5th in Berlin.
    t = make_ticket(world.billing, subject="Late", text="x", now=T0.replace(day=4, hour=23, minute=30))
    world.ada.time_zone = "Europe/Berlin"
    assert t.pk in found(world.ada, "after:2026-03-05")
    world.ada.time_zone = "UTC"
    assert t.pk not in found(world.ada, "after:2026-03-05")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("team:Nowhere", "no team “Nowhere”"),
        ("tag:nosuchtag", "no tag “nosuchtag”"),
        ("assignee:ghost", "no agent “ghost”"),
        ("org:Nobody", "no organisation “Nobody”"),
        ("to:nobody@desk.example", "No team receives mail"),
        ("refund colour:red", "Unknown filter"),
    ],
)
def test_values_that_name_nothing_are_errors(world, text, message):
    with pytest.raises(QuerySyntaxError, match=message):
        search.search(world.ada, text, now=T0)


def test_an_empty_search_finds_nothing(world):
    assert search.search(world.ada, "  ", now=T0).hits == []


# --- order and pages ------------------------------------------------------------------------------------


def test_best_match_first_then_recent_among_equals(world, make_ticket):
    for i in range(8):  # other tickets, so that the words searched for are rare as in a real desk
        make_ticket(world.billing, subject=f"Other {i}", text="Unrelated words")
    long_text = (
        "Something about a parcel, among many other words that make this message long and the word rare."
    )
    weak = make_ticket(world.billing, subject="Hello", text=long_text, now=T0)
    strong = make_ticket(
        world.billing, subject="Parcel parcel", text="Parcel missing", now=T0 - timedelta(days=1)
    )
    twin_old = make_ticket(world.billing, subject="Lamp", text="Lamp broken", now=T0 - timedelta(days=3))
    twin_new = make_ticket(world.billing, subject="Lamp", text="Lamp broken", now=T0 - timedelta(days=2))
    best = [h.ticket.pk for h in search.search(world.ada, "parcel", now=T0).hits]
    assert best.index(strong.pk) < best.index(weak.pk)
    newest = [h.ticket.pk for h in search.search(world.ada, "parcel", sort="newest", now=T0).hits]
    assert newest.index(weak.pk) < newest.index(strong.pk)
    assert [h.ticket.pk for h in search.search(world.ada, "lamp", now=T0).hits] == [twin_new.pk, twin_old.pk]


@pytest.mark.parametrize("sort", ["best", "newest"])
@pytest.mark.parametrize("text", ["widget", "team:billing", "widget -nothing"])
def test_keyset_pages_cover_every_result_once(world, make_ticket, sort, text):
    made = {world.billing_ticket.pk} if text == "team:billing" else set()
    for i in range(23):
        t = make_ticket(world.billing, subject=f"Widget {i}", text="widget " * (1 + i % 4),
                        now=T0 - timedelta(hours=i % 5))  # fmt: skip
        made.add(t.pk)
    seen, cursor, pages = [], None, 0
    while True:
        page = search.search(world.ada, text, sort=sort, cursor=cursor, limit=5, now=T0)
        assert page.count == len(made)
        seen += [h.ticket.pk for h in page.hits]
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert pages == 5
    assert sorted(seen) == sorted(made)


def test_a_broken_cursor_is_refused(world):
    with pytest.raises(BadCursor):
        search.search(world.ada, "refund", cursor="not-a-cursor", now=T0)
    newest = search.search(world.ada, "refund", sort="newest", limit=1, now=T0)
    assert newest.next_cursor is None


def test_count_is_capped(world, make_ticket, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    for _ in range(4):
        make_ticket(world.billing, subject="Capped", text="x")
    page = search.search(world.ada, "capped", now=T0)
    assert page.count == 3 and page.count_label == "2+"


# --- snippets -------------------------------------------------------------------------------------------


def test_snippet_highlights_the_matching_message_and_escapes_its_text(world, make_ticket):
    t = make_ticket(world.billing, subject="Hi", text="Nothing here")
    text = "my invoice for R&D <script>alert(1)</script> is wrong"
    services.receive_message(t, sender=t.customer, text=text, now=T0 + timedelta(hours=1))
    hit = search.search(world.ada, "invoice", now=T0).hits[0]
    assert "<mark>invoice</mark>" in hit.snippet
    # Markup in the data never survives (PostgreSQL's headline drops tags, SQLite's snippet escapes them).
    assert "<script" not in hit.snippet and "R&amp;D" in hit.snippet
    assert Message.objects.get(pk=hit.message_id).text.endswith("wrong")


def test_filters_alone_show_the_newest_message(world):
    services.reply(world.billing_ticket, agent=world.alice, text="Newest words", now=T0 + timedelta(hours=1))
    hit = search.search(world.ada, "team:billing", now=T0).hits[0]
    assert hit.snippet == "Newest words" and hit.message_kind == "outbound"


# --- the index follows the data, in the same transaction -------------------------------------------------


def test_index_rolls_back_with_the_data(world):
    t = world.billing_ticket
    with pytest.raises(RuntimeError), transaction.atomic():
        services.receive_message(t, sender=t.customer, text="zebracrossing", now=T0 + timedelta(hours=1))
        Ticket.objects.filter(pk=t.pk).update(subject="Giraffe")
        assert found(world.ada, "zebracrossing") == {t.pk}  # visible inside the transaction
        assert found(world.ada, "giraffe") == {t.pk}
        raise RuntimeError("rolled back")
    assert found(world.ada, "zebracrossing") == set()
    assert found(world.ada, "giraffe") == set()
    assert found(world.ada, "refund") == {t.pk}
    assert SearchDocument.objects.count() == Message.objects.count()
    _integrity_check()


@pytest.mark.django_db(transaction=True)
def test_index_rolls_back_with_a_real_transaction(make_team, make_ticket, make_agent):
    team = make_team("Billing")
    admin = make_agent("ada", role=Agent.Role.ADMIN)
    t = make_ticket(team, subject="Kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        make_ticket(team, subject="Vanishing ticket")
        services.receive_message(t, sender=t.customer, text="ephemeral words", now=T0 + timedelta(hours=1))
        raise RuntimeError("crash before commit")
    assert found(admin, "vanishing") == set()
    assert found(admin, "ephemeral") == set()
    assert found(admin, "kept") == {t.pk}
    assert SearchDocument.objects.count() == Message.objects.count() == 1
    _integrity_check()


def test_index_follows_renames_tags_addresses_and_deletes(world, make_customer, make_ticket):
    t = world.billing_ticket
    ana = t.customer
    Ticket.objects.filter(pk=t.pk).update(subject="Chargeback dispute")
    assert found(world.ada, "chargeback") == {t.pk}
    assert found(world.ada, "double") == set()
    Customer.objects.filter(pk=ana.pk).update(name="Anabel Ruiz")
    assert found(world.ada, "anabel") == {t.pk}
    CustomerEmail.objects.create(customer=ana, address="anabel@newmail.example")
    assert found(world.ada, "anabel@newmail.example") == {t.pk}
    CustomerEmail.objects.filter(address="anabel@newmail.example").delete()
    assert found(world.ada, "anabel@newmail.example") == set()
    org = Organisation.objects.create(name="Initech")
    Customer.objects.filter(pk=ana.pk).update(organisation=org)
    assert found(world.ada, "initech") == {t.pk}
    Organisation.objects.filter(pk=org.pk).update(name="Umbrella")
    assert found(world.ada, "umbrella") == {t.pk} and found(world.ada, "initech") == set()
    services.set_tags(t, ["urgent-case"], actor=world.ada, now=T0)
    assert found(world.ada, "urgent-case") == {t.pk}
    services.set_tags(t, [], actor=world.ada, now=T0)
    assert found(world.ada, "urgent-case") == set()
    message = t.messages.first()
    Message.objects.filter(pk=message.pk).update(text="Rewritten body")
    assert found(world.ada, "rewritten") == {t.pk}
    other = make_ticket(world.billing, subject="Doomed", text="to be deleted")
    other.delete()
    assert found(world.ada, "doomed") == set()
    assert SearchDocument.objects.count() == Message.objects.count()
    _integrity_check()


def test_saving_a_ticket_without_changing_its_text_does_not_rewrite_the_index(world):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 change counter is SQLite's")
    t = world.billing_ticket
    with connection.cursor() as cur:
        cur.execute("SELECT total_changes()")
        before = cur.fetchone()[0]
        Ticket.objects.filter(pk=t.pk).update(last_activity_at=T0 + timedelta(hours=1))
        Message.objects.filter(ticket=t).update(delivery="sent")
        cur.execute("SELECT total_changes()")
        assert cur.fetchone()[0] - before == 2  # the two rows themselves, nothing in the index


def _integrity_check() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
            # (search_cjk holds only the CJK documents, so FTS5's check against all of them does not apply.)


@pytest.mark.parametrize("sort", ["best", "newest"])
def test_a_very_common_word_pages_through_its_newest_matching_messages(world, make_ticket, monkeypatch, sort):
    monkeypatch.setattr(search, "WINDOW", 4)
    made = [
        make_ticket(world.billing, subject="Widget", text="widget", now=T0 + timedelta(minutes=i))
        for i in range(6)
    ]
    page = search.search(world.alice, "widget", sort=sort, limit=3, now=T0)
    assert page.windowed and page.count == 6  # the count still covers every match (up to the cap)
    seen = [h.ticket.pk for h in page.hits]
    second = search.search(world.alice, "widget", sort=sort, limit=3, cursor=page.next_cursor, now=T0)
    seen += [h.ticket.pk for h in second.hits]
    assert sorted(seen) == sorted(t.pk for t in made[2:])  # the four newest matching messages' tickets
    # A hidden match does not take a place in the window: bob's team's widgets are not counted.
    make_ticket(world.shipping, subject="Widget", text="widget", now=T0 + timedelta(hours=1))
    again = search.search(world.alice, "widget", sort=sort, limit=10, now=T0)
    assert {h.ticket.pk for h in again.hits} == {t.pk for t in made[2:]}


def test_a_narrow_search_is_not_windowed(world):
    assert not search.search(world.ada, "refund", now=T0).windowed


def test_snippet_marks_stemmed_and_accented_forms_and_starts_at_a_word(world, make_ticket):
    long_start = "Lorem ipsum dolor sit amet " * 6
    make_ticket(world.billing, subject="x", text=long_start + "then the café charged us twice")
    snippet = search.search(world.ada, "cafe charging", now=T0).hits[0].snippet
    assert "<mark>café</mark> <mark>charged</mark>" in snippet
    assert snippet.startswith("…") and snippet[1:].split()[0] in long_start.split()
