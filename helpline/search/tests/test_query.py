import functools
import re
import sqlite3

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpline.search.query import (
    CHANNEL_VALUES,
    MAX_QUERY_LENGTH,
    MAX_TOKENS,
    PRIORITY_VALUES,
    STATUS_VALUES,
    TYPE_VALUES,
    Filter,
    ParsedQuery,
    Phrase,
    QuerySyntaxError,
    Term,
    parse_query,
    parse_query_lenient,
    to_fts5_exclusion_match,
    to_fts5_match,
    to_pg_tsquery,
)
from helpline.tickets.states import Channel, Priority, Status, TicketType

# Parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("printer", (Term("printer"),)),
        ("printer  jam", (Term("printer"), Term("jam"))),
        ("print*", (Term("print", prefix=True),)),
        ("print***", (Term("print", prefix=True),)),
        ("-vpn", (Term("vpn", negated=True),)),
        ("-vpn*", (Term("vpn", prefix=True, negated=True),)),
        ("a*b", (Term("a*b"),)),
        ("e-mail", (Term("e-mail"),)),
        ("--x", (Term("-x", negated=True),)),
    ],
)
def test_bare_words_are_terms_in_typed_order_with_prefix_and_negation(text, terms):
    assert parse_query(text).terms == terms


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ('"exact phrase"', (Phrase("exact phrase"),)),
        ('"  spaced \t out  "', (Phrase("spaced out"),)),
        ('-"not this"', (Phrase("not this", negated=True),)),
        (r'"say \"hi\""', (Phrase('say "hi"'),)),
        (r'"C:\Users\bob"', (Phrase(r"C:\Users\bob"),)),
        (r'"ends in \\"', (Phrase("ends in \\"),)),
    ],
)
def test_quoted_text_is_a_phrase_with_its_spaces_collapsed(text, phrases):
    assert parse_query(text).phrases == phrases


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("status:open", (Filter("status", ("open",)),)),
        ("STATUS:Open", (Filter("status", ("open",)),)),
        ("status:on-hold", (Filter("status", ("on_hold",)),)),
        ("type:service-request", (Filter("type", ("service_request",)),)),
        ("-status:closed", (Filter("status", ("closed",), negated=True),)),
        ("department:network", (Filter("dept", ("network",)),)),
        ('dept:"Network  Performance"', (Filter("dept", ("Network Performance",)),)),
        ("team:L2 tag:vpn", (Filter("team", ("L2",)), Filter("tag", ("vpn",)))),
        ("category:hardware", (Filter("category", ("hardware",)),)),
        ("priority:high level:3", (Filter("priority", ("high",)), Filter("level", ("3",)))),
        ("channel:email is:breached", (Filter("channel", ("email",)), Filter("is", ("breached",)))),
    ],
)
def test_field_value_is_a_filter_with_canonical_field_and_value(text, filters):
    assert parse_query(text).filters == filters


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("status:open,pending", ("open", "pending")),
        ('tag:vpn,"remote access"', ("vpn", "remote access")),
        ("priority:high,high,low", ("high", "low")),
    ],
)
def test_comma_list_means_any_of_the_values(text, values):
    (only,) = parse_query(text).filters
    assert only.values == values


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("me", "me"),
        ("ME", "me"),
        ("none", "none"),
        ("ann@example.com", "ann@example.com"),
        ("42", "42"),
        ("0042", "42"),
    ],
)
def test_assignee_is_me_none_an_email_or_a_user_id(value, canonical):
    assert parse_query(f"assignee:{value}").filters == (Filter("assignee", (canonical,)),)


@pytest.mark.parametrize(
    ("value", "canonical"), [("me", "me"), ("ann@example.com", "ann@example.com")]
)
def test_requester_is_me_or_an_email(value, canonical):
    assert parse_query(f"requester:{value}").filters == (Filter("requester", (canonical,)),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("created:2026-01-31", Filter("created", ("2026-01-31",))),
        ("created:2026-01-31,2026-02-02", Filter("created", ("2026-01-31", "2026-02-02"))),
        ("created:>2026-01-01", Filter("created", ("2026-01-01",), "gt")),
        ("created:>=2026-01-01", Filter("created", ("2026-01-01",), "ge")),
        ("updated:<2026-02-01", Filter("updated", ("2026-02-01",), "lt")),
        ("updated:<=2026-02-01", Filter("updated", ("2026-02-01",), "le")),
        ('updated:"<=2026-02-01"', Filter("updated", ("2026-02-01",), "le")),
        (
            "created:2026-01-01..2026-01-31",
            Filter("created", ("2026-01-01", "2026-01-31"), "range"),
        ),
        (
            "created:2026-01-01..2026-01-01",
            Filter("created", ("2026-01-01", "2026-01-01"), "range"),
        ),
    ],
)
def test_date_filters_carry_an_operator(text, expected):
    assert parse_query(text).filters == (expected,)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("#1234", (1234,)), ("1234", (1234,)), ("#0012 7", (12, 7)), ("#0", (0,))],
)
def test_hash_number_or_bare_number_is_a_ticket_number(text, numbers):
    parsed = parse_query(text)
    assert (parsed.ticket_numbers, parsed.terms) == (numbers, ())


def test_email_as_a_bare_word_is_a_requester_email():
    parsed = parse_query("Ann.Lee@Example.co.uk vpn")
    assert (parsed.emails, parsed.terms) == (("Ann.Lee@Example.co.uk",), (Term("vpn"),))


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("10:30", Term("10:30")),
        ("#abc", Term("#abc")),
        ("#", Term("#")),
        ("123*", Term("123", prefix=True)),
        ("ann@example.com*", Term("ann@example.com", prefix=True)),
        ("@ann", Term("@ann")),
        ("ann@localhost", Term("ann@localhost")),
        ("-#abc", Term("#abc", negated=True)),
        (":x", Term(":x")),
    ],
)
def test_words_that_only_resemble_numbers_emails_or_filters_stay_terms(text, term):
    assert parse_query(text) == ParsedQuery(terms=(term,))


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_blank_query_is_empty(text):
    assert parse_query(text).is_empty


@pytest.mark.parametrize("text", ["x", '"x y"', "status:open", "#1", "a@b.co"])
def test_any_item_makes_the_query_non_empty(text):
    assert not parse_query(text).is_empty


def test_control_characters_separate_words_like_spaces():
    assert parse_query("printer\x00jam\x1f").terms == (Term("printer"), Term("jam"))


def test_lone_surrogates_become_replacement_characters():
    assert parse_query("a\ud800b").terms == (Term("a\ufffdb"),)


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("stauts:open", 0, 'unknown field "stauts" — did you mean "status"?'),
        ("x foo:bar", 2, 'unknown field "foo" — expected one of status,'),
        ("status:opne", 7, 'unknown status "opne" — did you mean "open"?'),
        ("status:open,shut", 12, 'unknown status "shut"'),
        ("priority:urgent", 9, 'unknown priority "urgent"'),
        ("type:problem", 5, 'unknown type "problem"'),
        ("level:4", 6, 'unknown level "4"'),
        ("channel:fax", 8, 'unknown channel "fax"'),
        ("is:closed", 3, 'unknown is: value "closed" — expected one of open, unassigned,'),
        ("assignee:bob", 9, 'assignee must be "me", "none", an email address or a user id'),
        ("assignee:1234567890123456789", 9, "the user id is too long"),
        ("requester:none", 10, 'requester must be "me" or an email address'),
        ('printer "jam', 8, "unterminated quote"),
        ('dept:"Network', 5, "unterminated quote"),
        ("created:2026-02-30", 8, 'bad date "2026-02-30": use YYYY-MM-DD'),
        ("created:2026-1-1", 8, "bad date"),
        ("created:20260101", 8, "bad date"),
        ("created:>=yesterday", 8, "bad date"),
        ("created:2026-02-01..2026-01-01", 8, "the date range starts after it ends"),
        ("created:2026-01-01..", 8, "bad date"),
        ("created:>2026-01-01,2026-02-01", 8, "a date comparison or range must be the only value"),
        ("status:", 7, 'missing value for "status"'),
        ("status:open,", 12, 'missing value for "status"'),
        ("status:,open", 7, 'missing value for "status"'),
        ('dept:"  "', 5, 'empty value for "dept"'),
        ('dept:"a"b', 8, 'expected "," or a space after the closing quote'),
        ('dept:a"b"', 6, "quote inside a value"),
        ('""', 0, "empty phrase"),
        ('"a"b', 3, "expected a space after the closing quote"),
        ('foo"bar"', 3, "quote inside a word"),
        ("a - b", 2, '"-" must be followed by a word'),
        ("*", 0, '"*" must follow the start of a word'),
        ("-1234", 0, "a ticket number cannot be excluded"),
        ("-a@b.co", 0, "to exclude a requester, write -requester:a@b.co"),
        ("#1234567890123456789", 0, "the ticket number is too long"),
    ],
)
def test_bad_input_is_rejected_with_a_message_and_position(text, position, message):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(text)
    assert (caught.value.position, caught.value.message[: len(message)]) == (position, message)


def test_syntax_error_is_a_value_error_whose_string_is_the_message():
    error = QuerySyntaxError("unterminated quote", 3)
    assert isinstance(error, ValueError)
    assert str(error) == "unterminated quote"


def test_strict_parse_raises_the_first_error_by_position():
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("ok stauts:open level:9")
    assert caught.value.position == 3


def test_query_longer_than_the_limit_is_rejected():
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("a" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.position == MAX_QUERY_LENGTH


def test_query_at_the_length_limit_is_accepted():
    assert parse_query("a" * MAX_QUERY_LENGTH).terms == (Term("a" * MAX_QUERY_LENGTH),)


def test_query_with_more_than_the_token_limit_is_rejected_at_the_first_extra_token():
    text = "w " * MAX_TOKENS + "extra"
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(text)
    assert caught.value.position == 2 * MAX_TOKENS


# Lenient parsing --------------------------------------------------------------------------


def test_lenient_parse_skips_bad_items_and_reports_each():
    parsed, errors = parse_query_lenient("vpn stauts:open status:open level:9 -")
    assert parsed == ParsedQuery(terms=(Term("vpn"),), filters=(Filter("status", ("open",)),))
    assert [error.position for error in errors] == [4, 34, 36]


def test_lenient_parse_skips_a_whole_filter_when_one_of_its_values_is_bad():
    parsed, errors = parse_query_lenient("status:open,opne")
    assert (parsed.filters, len(errors)) == ((), 1)


def test_lenient_parse_closes_an_unterminated_quote_at_the_end_and_reports_it():
    parsed, errors = parse_query_lenient('vpn "printer ja')
    assert parsed.phrases == (Phrase("printer ja"),)
    assert [(error.message, error.position) for error in errors] == [("unterminated quote", 4)]


def test_lenient_parse_closes_an_unterminated_quoted_filter_value():
    parsed, _ = parse_query_lenient('dept:"Network Perf')
    assert parsed.filters == (Filter("dept", ("Network Perf",)),)


def test_lenient_parse_reads_only_up_to_the_length_limit():
    parsed, errors = parse_query_lenient("vpn " + "x" * MAX_QUERY_LENGTH)
    assert parsed.terms == (Term("vpn"), Term("x" * (MAX_QUERY_LENGTH - 4)))
    assert [error.position for error in errors] == [MAX_QUERY_LENGTH]


def test_lenient_parse_keeps_the_first_tokens_up_to_the_limit():
    parsed, errors = parse_query_lenient(" ".join(f"w{i}" for i in range(MAX_TOKENS + 5)))
    assert parsed.terms[-1] == Term(f"w{MAX_TOKENS - 1}")
    assert [error.message for error in errors] == [f"the query has more than {MAX_TOKENS} parts"]


def test_lenient_parse_of_good_text_matches_strict_parse_without_errors():
    text = 'status:open dept:network assignee:me tag:vpn "exact phrase" -excluded printer*'
    assert parse_query_lenient(text) == (parse_query(text), [])


# Canonical form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        (
            'status:open dept:network assignee:me tag:vpn "exact phrase" -excluded printer*',
            'status:open dept:network assignee:me tag:vpn "exact phrase" -excluded printer*',
        ),
        (
            'jam Department:"Network  Performance" #0012 ann@x.io "a  b" STATUS:Open,on-hold',
            'dept:"Network Performance" status:open,on_hold 12 ann@x.io "a b" jam',
        ),
        ("created:2026-01-01..2026-01-31 -is:mine", "created:2026-01-01..2026-01-31 -is:mine"),
        ('tag:"a,b" tag:"say \\"x\\""', 'tag:"a,b" tag:"say \\"x\\""'),
        ("print** --x", "print* --x"),
    ],
)
def test_str_prints_the_canonical_form(text, canonical):
    assert str(parse_query(text)) == canonical


def test_with_last_term_as_prefix_prefixes_only_the_last_positive_term():
    parsed = parse_query("printer ja")
    assert parsed.with_last_term_as_prefix().terms == (Term("printer"), Term("ja", prefix=True))
    negated_last = parse_query("printer -ja")
    assert negated_last.with_last_term_as_prefix() == negated_last


# Hypothesis: the parser's invariants ------------------------------------------------------

_SPECIAL_CHARACTERS = [*" -*#:,.\"\\@<>=_'&|!()", "a", "b", "1", "\t", "\x00", "é"]
_FREE_TEXT = st.text(
    alphabet=st.sampled_from(["a", "B", "1", " ", ",", '"', "\\", "-", ":", "é", "*"]),
    min_size=1,
    max_size=8,
)


def _quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_VALUE = st.one_of(st.from_regex(r"[a-z0-9._-]{1,8}", fullmatch=True), _FREE_TEXT.map(_quoted))
_DAY = st.dates().map(lambda day: day.isoformat()).filter(lambda day: len(day) == 10)
_FILTER = st.one_of(
    st.tuples(
        st.sampled_from(["dept", "department", "team", "tag", "category"]),
        st.lists(_VALUE, min_size=1, max_size=3),
    ).map(lambda pair: f"{pair[0]}:{','.join(pair[1])}"),
    st.sampled_from(
        [
            f"{field}:{value.upper()}"
            for field, values in [
                ("priority", PRIORITY_VALUES),
                ("type", TYPE_VALUES),
                ("channel", CHANNEL_VALUES),
                ("level", ("1", "2", "3")),
                ("is", ("open", "unassigned", "breached", "mine")),
            ]
            for value in values
        ]
    ),
    st.lists(st.sampled_from(STATUS_VALUES), min_size=1, max_size=3).map(
        lambda values: "status:" + ",".join(values)
    ),
    st.sampled_from(["assignee:me", "assignee:none", "assignee:007", "requester:a@b.co"]),
    st.tuples(st.sampled_from(["", ">", ">=", "<", "<="]), _DAY).map(
        lambda pair: f"created:{pair[0]}{pair[1]}"
    ),
    st.lists(_DAY, min_size=2, max_size=2).map(lambda days: "updated:{}..{}".format(*sorted(days))),
)
_ITEM = st.one_of(
    _FILTER,
    st.from_regex(r"[a-z0-9@.#:*-]{1,10}", fullmatch=True),
    _FREE_TEXT.map(_quoted),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"#{n}"),
    st.sampled_from(["ann@example.com", "x@y.co", "printer*"]),
)
_QUERY = st.lists(
    st.tuples(st.booleans(), _ITEM).map(lambda pair: ("-" if pair[0] else "") + pair[1]),
    max_size=8,
).map(" ".join)
_ANY_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(_SPECIAL_CHARACTERS), max_size=200),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=50),
    _QUERY,
)


@given(_ANY_TEXT)
def test_strict_parse_raises_nothing_but_query_syntax_error(text):
    try:
        parse_query(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)


@given(_ANY_TEXT)
def test_lenient_parse_never_raises_and_returns_well_placed_errors(text):
    parsed, errors = parse_query_lenient(text)
    assert isinstance(parsed, ParsedQuery)
    assert all(0 <= error.position <= len(text) for error in errors)


@given(_QUERY)
def test_generated_queries_in_the_grammar_parse_back_from_their_canonical_form(text):
    parsed, _ = parse_query_lenient(text)
    assert parse_query(str(parsed)) == parsed


@given(_ANY_TEXT)
def test_canonical_form_of_any_accepted_text_parses_back_to_an_equal_query(text):
    parsed, _ = parse_query_lenient(text)
    assume(len(str(parsed)) <= MAX_QUERY_LENGTH)
    assert parse_query(str(parsed)) == parsed


@given(_ANY_TEXT)
def test_canonical_form_is_never_longer_than_strictly_accepted_text(text):
    try:
        parsed = parse_query(text)
    except QuerySyntaxError:
        assume(False)
    assert len(str(parsed)) <= len(text)


def test_closed_domains_match_the_ticket_model():
    assert tuple(Status) == STATUS_VALUES
    assert tuple(Priority) == PRIORITY_VALUES
    assert tuple(TicketType) == TYPE_VALUES
    assert tuple(Channel) == CHANNEL_VALUES


# Backends ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("printer jam", '"printer" AND "jam"'),
        ("print*", '"print"*'),
        ('"exact phrase" vpn', '"vpn" AND "exact phrase"'),
        (r'"say \"hi\""', '"say ""hi"""'),
        ('vpn -cisco -"any connect"', '("vpn") NOT ("cisco" OR "any connect")'),
        ("title:x", None),
        ("AND OR NOT NEAR(a)", '"AND" AND "OR" AND "NOT" AND "NEAR(a)"'),
        ("status:open #12 ann@x.io", None),
        ("-vpn", None),
        ("", None),
    ],
)
def test_fts5_match_quotes_every_term_and_excludes_with_not(text, match):
    parsed, _ = parse_query_lenient(text)
    assert to_fts5_match(parsed) == match


@pytest.mark.parametrize(
    ("text", "match"),
    [("-vpn", '"vpn"'), ('-vpn* -"a b" keep', '"vpn"* OR "a b"'), ("vpn", None)],
)
def test_fts5_exclusion_match_joins_the_excluded_text_with_or(text, match):
    assert to_fts5_exclusion_match(parse_query(text)) == match


@functools.cache
def _fts5_table():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE doc USING fts5(body)")
    connection.execute("INSERT INTO doc VALUES ('printer jam on floor 3 \"quoted\" NOT near')")
    return connection


@given(_ANY_TEXT)
def test_fts5_match_is_valid_fts5_for_any_accepted_query(text):
    parsed, _ = parse_query_lenient(text)
    for match in (to_fts5_match(parsed), to_fts5_exclusion_match(parsed)):
        if match is not None:
            _fts5_table().execute("SELECT count(*) FROM doc WHERE doc MATCH ?", (match,))


def test_fts5_match_finds_the_document_it_describes():
    match = to_fts5_match(parse_query('print* "jam on" -laser'))
    rows = _fts5_table().execute("SELECT count(*) FROM doc WHERE doc MATCH ?", (match,))
    assert rows.fetchone() == (1,)


@pytest.mark.parametrize(
    ("text", "tsquery"),
    [
        ("printer jam", "'printer' & 'jam'"),
        ("print*", "'print':*"),
        ('"exact phrase"', "('exact' <-> 'phrase')"),
        ("-vpn", "!'vpn'"),
        ('-"any connect"', "!('any' <-> 'connect')"),
        ("o'brien*", "('o' <-> 'brien':*)"),
        ("a&b|c!(d)<->e:*", "('a' <-> 'b' <-> 'c' <-> 'd' <-> 'e':*)"),
        (r'"back\\slash"', "('back' <-> 'slash')"),
        ("--- status:open", None),
        ("", None),
    ],
)
def test_pg_tsquery_quotes_lexemes_chains_phrases_and_neutralises_operators(text, tsquery):
    assert to_pg_tsquery(parse_query(text)) == tsquery


_TSQUERY_LEXEME = r"'[^'\\&|!()<>:*\s]+'(?::\*)?"
_TSQUERY_OPERAND = rf"!?(?:{_TSQUERY_LEXEME}|\({_TSQUERY_LEXEME}(?: <-> {_TSQUERY_LEXEME})+\))"
_TSQUERY_SHAPE = re.compile(rf"{_TSQUERY_OPERAND}(?: & {_TSQUERY_OPERAND})*")


@given(_ANY_TEXT)
def test_pg_tsquery_has_only_quoted_plain_lexemes_between_operators(text):
    parsed, _ = parse_query_lenient(text)
    tsquery = to_pg_tsquery(parsed)
    assert tsquery is None or _TSQUERY_SHAPE.fullmatch(tsquery)
