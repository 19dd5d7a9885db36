"""The search box's language, without a database."""

import pytest

from answerable.search.syntax import FILTERS, Filter, QuerySyntaxError, Term, parse


def test_free_words_are_terms_in_order():
    assert parse("refund double charge").terms == (Term("refund"), Term("double"), Term("charge"))


def test_a_quoted_phrase_is_one_term_with_its_spaces_normalised():
    assert parse('"double   charge" refund').terms == (Term("double charge", phrase=True), Term("refund"))


def test_a_minus_excludes_a_word_or_a_phrase():
    q = parse('refund -paypal -"bank transfer"')
    assert q.positive == (Term("refund"),)
    assert q.negative == (Term("paypal", negated=True), Term("bank transfer", phrase=True, negated=True))


def test_an_unclosed_quote_is_an_error_not_a_guess():
    with pytest.raises(QuerySyntaxError, match="quote is not closed"):
        parse('"double charge')


def test_reference_numbers_keep_their_digits():
    assert parse("#1042").terms == (Term("1042"),)
    assert parse("1042").terms == (Term("1042"),)


def test_punctuation_alone_is_not_a_term():
    assert parse("refund -- ?!").terms == (Term("refund"),)


def test_an_address_stays_one_term():
    assert parse("ana@acme.example").terms == (Term("ana@acme.example"),)


def test_urls_and_times_are_words_not_filters():
    assert parse("https://acme.example/orders 10:30").terms == (
        Term("https://acme.example/orders"),
        Term("10:30"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from:ana@acme.example", Filter("from", ("ana@acme.example",))),
        ("to:billing@desk.example", Filter("to", ("billing@desk.example",))),
        ("status:open", Filter("status", ("open",))),
        ("status:open,pending", Filter("status", ("open", "pending"))),
        ("status:On-Hold", Filter("status", ("on_hold",))),
        ("assignee:me", Filter("assignee", ("me",))),
        ("team:Billing", Filter("team", ("Billing",))),
        ('team:"Second line"', Filter("team", ("Second line",))),
        ("tag:vip", Filter("tag", ("vip",))),
        ('org:"Acme Ltd"', Filter("org", ("Acme Ltd",))),
        ("before:2026-03-01", Filter("before", ("2026-03-01",))),
        ("after:2026-03-01", Filter("after", ("2026-03-01",))),
        ("has:attachment", Filter("has", ("attachment",))),
        ("is:waiting", Filter("is", ("waiting",))),
        ("promise:broken", Filter("promise", ("broken",))),
        ("promise:due", Filter("promise", ("due",))),
        ("-tag:spam", Filter("tag", ("spam",), negated=True)),
        ("STATUS:open", Filter("status", ("open",))),
    ],
)
def test_each_filter(text, expected):
    assert parse(text).filters == (expected,)


def test_every_documented_filter_is_parsed():
    samples = {"status": "open", "before": "2026-01-01", "after": "2026-01-01", "has": "attachment",
               "is": "waiting", "promise": "due"}  # fmt: skip
    for name in FILTERS:
        assert parse(f"{name}:{samples.get(name, 'x')}").filters[0].name == name


def test_filters_and_words_mix():
    q = parse('refund status:open "double charge" -paypal assignee:me')
    assert [t.text for t in q.terms] == ["refund", "double charge", "paypal"]
    assert [f.name for f in q.filters] == ["status", "assignee"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour:red", "Unknown filter “colour:”"),
        ("status:lost", "Unknown status “lost”"),
        ("status:", "needs a value"),
        ("is:late", "is:late is not known"),
        ("has:pdf", "has:pdf is not known"),
        ("promise:kept", "promise:kept is not known"),
        ("before:yesterday", "before:yesterday is not a date"),
        ("after:2026-13-01", "is not a date"),
        ("after:2026-01-01,2026-02-01", "takes one date"),
        ("-paypal", "exclusion alone"),
        ("x" * 501, "too long"),
        (" ".join(f"w{i}" for i in range(21)), "Too many"),
    ],
)
def test_errors_say_what_is_wrong(text, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse(text)


def test_an_exclusion_with_a_filter_is_a_query():
    q = parse("-paypal status:open")
    assert q.negative and q.filters


def test_cjk_terms_are_recognised():
    q = parse("東京 配送 refund 한국어")
    assert [t.cjk for t in q.terms] == [True, True, False, True]


def test_empty_query():
    assert parse("   ").empty
