"""The agent search box language, parsed into a plain value. Stdlib only: no Django, no ORM.

    query  := item ( space+ item )*             at most 1,000 characters and 50 items
    item   := [ "-" ] ( phrase | filter | ticket | email | word )
    phrase := '"' text '"'                      \\" and \\\\ escape inside quotes
    filter := field ":" value ( "," value )*    a comma list means any of the values
    value  := phrase | bare                     bare: no space, comma or quote
    dates  := day | (">" | ">=" | "<" | "<=") day | day ".." day      day: YYYY-MM-DD
    ticket := [ "#" ] digits                    exact ticket number
    email  := local "@" domain                  exact requester email
    word   := bare [ "*" ]                      full-text term; "*" makes it a prefix

Parsing happens once per keystroke of untrusted text, so it is a hand-written scanner with
linear cost and hard size limits rather than a regular expression.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

MAX_QUERY_LENGTH = 1000
MAX_TOKENS = 50
_MAX_ID_DIGITS = 18  # fits a signed 64-bit primary key

STATUS_VALUES = ("new", "open", "pending", "on_hold", "resolved", "closed")
PRIORITY_VALUES = ("critical", "high", "medium", "low")
TYPE_VALUES = ("incident", "service_request")
LEVEL_VALUES = ("1", "2", "3")
CHANNEL_VALUES = ("web", "email", "api", "phone", "chat")
IS_VALUES = ("open", "unassigned", "breached", "mine")

FIELDS = (
    "status",
    "priority",
    "type",
    "dept",
    "team",
    "assignee",
    "requester",
    "tag",
    "level",
    "channel",
    "category",
    "created",
    "updated",
    "is",
)
FIELD_ALIASES = {"department": "dept"}
DATE_FIELDS = frozenset({"created", "updated"})

Operator = Literal["eq", "gt", "ge", "lt", "le", "range"]
_OPERATOR_PREFIXES: tuple[tuple[str, Operator], ...] = (
    (">=", "ge"),
    ("<=", "le"),
    (">", "gt"),
    ("<", "lt"),
)
_OPERATOR_SYMBOLS = {"eq": "", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_FIELD_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NOT_IN_EMAIL_LOCAL_PART = frozenset('"(),:;<>[\\]')


class QuerySyntaxError(ValueError):
    """A part of the query that cannot be searched; `position` is a character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False
    negated: bool = False

    def __str__(self) -> str:
        return f"{'-' if self.negated else ''}{self.text}{'*' if self.prefix else ''}"


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    negated: bool = False

    def __str__(self) -> str:
        return f"{'-' if self.negated else ''}{_quote(self.text)}"


@dataclass(frozen=True, slots=True)
class Filter:
    """`values` are canonical strings; for `range` they are (first day, last day)."""

    field: str
    values: tuple[str, ...]
    operator: Operator = "eq"
    negated: bool = False

    def __str__(self) -> str:
        if self.operator == "range":
            body = "..".join(self.values)
        else:
            body = _OPERATOR_SYMBOLS[self.operator] + ",".join(map(_quote_if_needed, self.values))
        return f"{'-' if self.negated else ''}{self.field}:{body}"


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    terms: tuple[Term, ...] = ()
    phrases: tuple[Phrase, ...] = ()
    filters: tuple[Filter, ...] = ()
    ticket_numbers: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.terms or self.phrases or self.filters or self.ticket_numbers or self.emails
        )

    def positive(self) -> ParsedQuery:
        """Only the text to look for: the terms and phrases that are not excluded.

        Both search backends build their match expression from this, so they agree on what
        a query asks for."""
        return ParsedQuery(
            terms=tuple(term for term in self.terms if not term.negated),
            phrases=tuple(phrase for phrase in self.phrases if not phrase.negated),
        )

    def with_last_term_as_prefix(self) -> ParsedQuery:
        """The query with its last typed term prefix-matched, for search-as-you-type.

        Call it only when the box text ends inside that word (no trailing space).
        """
        if not self.terms or self.terms[-1].negated or self.terms[-1].prefix:
            return self
        last = dataclasses.replace(self.terms[-1], prefix=True)
        return dataclasses.replace(self, terms=(*self.terms[:-1], last))

    def __str__(self) -> str:
        """The canonical form: it parses back to an equal query and is never longer than text
        the strict parser accepted."""
        parts = [
            *map(str, self.filters),
            *map(str, self.ticket_numbers),
            *self.emails,
            *map(str, self.phrases),
            *map(str, self.terms),
        ]
        return " ".join(parts)


def parse_query(text: str) -> ParsedQuery:
    """Parse the whole query or raise the first QuerySyntaxError in it."""
    if len(text) > MAX_QUERY_LENGTH:
        raise _too_long_error()
    parsed, errors = _parse(text)
    if errors:
        raise errors[0]
    return parsed


def parse_query_lenient(text: str) -> tuple[ParsedQuery, list[QuerySyntaxError]]:
    """Parse what can be parsed; never raises.

    Bad items are left out and reported. An unterminated quote is closed at the end of the
    text (the agent is probably still typing it), and text past the limits is ignored.
    """
    return _parse(text)


def read_filter(field: str, values: Sequence[str], *, negated: bool = False) -> Filter:
    """A Filter from values given one by one (form fields, API parameters), read and checked
    exactly as ``field:value,value`` in the query language.

    Raises QuerySyntaxError; its ``position`` is the index of the bad value in ``values``.
    """
    name = FIELD_ALIASES.get(field.lower(), field.lower())
    if name not in FIELDS:
        raise QuerySyntaxError(_unknown("field", field, (*FIELDS, *FIELD_ALIASES)), 0)
    raw_values: list[_RawValue] = []
    for index, value in enumerate(values):
        text = _collapse_spaces(_without_control_characters(value))
        if not text:
            raise QuerySyntaxError(f'empty value for "{name}"', index)
        if len(text) > MAX_QUERY_LENGTH:
            raise QuerySyntaxError(f'the value for "{name}" is too long', index)
        raw_values.append(_RawValue(text, index))
    if not raw_values:
        raise QuerySyntaxError(f'missing value for "{name}"', 0)
    if len(raw_values) > MAX_TOKENS:
        raise QuerySyntaxError(f'more than {MAX_TOKENS} values for "{name}"', MAX_TOKENS)
    if name in DATE_FIELDS:
        dates, operator = _read_dates(raw_values)
        return Filter(name, dates, operator, negated)
    return Filter(name, _dedupe(map(_FIELD_READERS[name], raw_values)), "eq", negated)


# Scanning ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    unterminated: bool  # a quote in it runs to the end of the text


@dataclass(frozen=True, slots=True)
class _RawValue:
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class _Email:
    address: str


type _Item = Term | Phrase | Filter | int | _Email


def _parse(text: str) -> tuple[ParsedQuery, list[QuerySyntaxError]]:
    errors: list[QuerySyntaxError] = []
    if len(text) > MAX_QUERY_LENGTH:
        errors.append(_too_long_error())
        text = text[:MAX_QUERY_LENGTH]
    text = _without_control_characters(text)
    tokens, scan_errors = _scan(text)
    errors.extend(scan_errors)
    items: list[_Item] = []
    for token in tokens:
        try:
            items.append(_read_item(text, token))
        except QuerySyntaxError as error:
            errors.append(error)
    errors.sort(key=lambda error: error.position)
    return _assemble(items), errors


def _too_long_error() -> QuerySyntaxError:
    return QuerySyntaxError(
        f"the query is longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH
    )


def _without_control_characters(text: str) -> str:
    """Control characters become spaces and lone surrogates U+FFFD, keeping offsets intact.

    A NUL would end an SQLite FTS5 string early, and a lone surrogate cannot be encoded for
    any database driver.
    """

    def clean(char: str) -> str:
        category = unicodedata.category(char)
        if category == "Cc":
            return " "
        return "\ufffd" if category == "Cs" else char

    return "".join(map(clean, text))


def _scan(text: str) -> tuple[list[_Token], list[QuerySyntaxError]]:
    """Split on whitespace outside quotes."""
    tokens: list[_Token] = []
    errors: list[QuerySyntaxError] = []
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        if len(tokens) == MAX_TOKENS:
            errors.append(QuerySyntaxError(f"the query has more than {MAX_TOKENS} parts", i))
            break
        start, unterminated = i, False
        while i < end and not text[i].isspace():
            if text[i] == '"':
                quote = i
                _, i, closed = _scan_quoted(text, i, end)
                if not closed:
                    unterminated = True
                    errors.append(QuerySyntaxError("unterminated quote", quote))
            else:
                i += 1
        tokens.append(_Token(start, i, unterminated))
    return tokens, errors


def _scan_quoted(text: str, start: int, end: int) -> tuple[str, int, bool]:
    """Read the quoted string opening at `start`: (value, index after it, whether closed).

    A backslash escapes only a quote or a backslash, so Windows paths survive quoting.
    """
    chars: list[str] = []
    i = start + 1
    while i < end:
        char = text[i]
        if char == '"':
            return "".join(chars), i + 1, True
        if char == "\\" and i + 1 < end and text[i + 1] in '"\\':
            i += 1
            char = text[i]
        chars.append(char)
        i += 1
    return "".join(chars), end, False


# Reading items ----------------------------------------------------------------------------


def _read_item(text: str, token: _Token) -> _Item:
    start, end = token.start, token.end
    negated = text[start] == "-"
    begin = start + 1 if negated else start
    if begin == end:
        raise QuerySyntaxError('"-" must be followed by a word, a "phrase" or a field:value', start)
    if text[begin] == '"':
        return _read_phrase(text, begin, end, negated)
    name_end = begin
    while name_end < end and text[name_end] in _FIELD_NAME_CHARS:
        name_end += 1
    if begin < name_end < end and text[name_end] == ":":
        return _read_filter(text, begin, name_end, end, negated)
    return _read_word(text, begin, end, negated)


def _read_phrase(text: str, begin: int, end: int, negated: bool) -> Phrase:
    value, after, _ = _scan_quoted(text, begin, end)
    if after < end:
        raise QuerySyntaxError("expected a space after the closing quote", after)
    phrase = _collapse_spaces(value)
    if not phrase:
        raise QuerySyntaxError("empty phrase", begin)
    return Phrase(phrase, negated)


def _read_word(text: str, begin: int, end: int, negated: bool) -> _Item:
    raw = text[begin:end]
    quote = raw.find('"')
    if quote != -1:
        raise QuerySyntaxError(
            'quote inside a word: put the whole phrase in "quotes"', begin + quote
        )
    word = raw.rstrip("*")
    prefix = len(word) < len(raw)
    if not word:
        raise QuerySyntaxError('"*" must follow the start of a word', begin)
    if prefix:
        return Term(word, prefix=True, negated=negated)
    digits = word.removeprefix("#")
    if _is_ascii_digits(digits):
        if negated:
            raise QuerySyntaxError("a ticket number cannot be excluded", begin - 1)
        return int(_canonical_id(digits, begin, "ticket number"))
    if _is_email(word):
        if negated:
            raise QuerySyntaxError(
                f"to exclude a requester, write -requester:{_clip(word)}", begin - 1
            )
        return _Email(word)
    return Term(word, negated=negated)


def _read_filter(text: str, begin: int, colon: int, end: int, negated: bool) -> Filter:
    name = text[begin:colon].lower()
    field = FIELD_ALIASES.get(name, name)
    if field not in FIELDS:
        raise QuerySyntaxError(_unknown("field", name, (*FIELDS, *FIELD_ALIASES)), begin)
    raw_values = _read_values(text, field, colon + 1, end)
    if field in DATE_FIELDS:
        values, operator = _read_dates(raw_values)
        return Filter(field, values, operator, negated)
    return Filter(field, _dedupe(map(_FIELD_READERS[field], raw_values)), "eq", negated)


def _read_values(text: str, field: str, start: int, end: int) -> list[_RawValue]:
    values: list[_RawValue] = []
    i = start
    while True:
        if i == end or text[i] == ",":
            raise QuerySyntaxError(f'missing value for "{field}"', i)
        position = i
        if text[i] == '"':
            quoted, i, _ = _scan_quoted(text, i, end)
            value = _collapse_spaces(quoted)
            if not value:
                raise QuerySyntaxError(f'empty value for "{field}"', position)
        else:
            while i < end and text[i] not in ',"':
                i += 1
            if i < end and text[i] == '"':
                raise QuerySyntaxError("quote inside a value: quote the whole value", i)
            value = text[position:i]
        values.append(_RawValue(value, position))
        if i == end:
            return values
        if text[i] != ",":
            raise QuerySyntaxError('expected "," or a space after the closing quote', i)
        i += 1


def _choice(label: str, allowed: Sequence[str]) -> Callable[[_RawValue], str]:
    def read(raw: _RawValue) -> str:
        value = raw.text.lower().replace("-", "_")
        if value not in allowed:
            raise QuerySyntaxError(_unknown(label, raw.text, allowed), raw.position)
        return value

    return read


def _free_text(raw: _RawValue) -> str:
    return raw.text


def _assignee(raw: _RawValue) -> str:
    if raw.text.lower() in ("me", "none"):
        return raw.text.lower()
    if _is_ascii_digits(raw.text):
        return _canonical_id(raw.text, raw.position, "user id")
    if _is_email(raw.text):
        return raw.text
    raise QuerySyntaxError(
        f'assignee must be "me", "none", an email address or a user id, not "{_clip(raw.text)}"',
        raw.position,
    )


def _requester(raw: _RawValue) -> str:
    if raw.text.lower() == "me":
        return "me"
    if _is_email(raw.text):
        return raw.text
    raise QuerySyntaxError(
        f'requester must be "me" or an email address, not "{_clip(raw.text)}"', raw.position
    )


_FIELD_READERS: dict[str, Callable[[_RawValue], str]] = {
    "status": _choice("status", STATUS_VALUES),
    "priority": _choice("priority", PRIORITY_VALUES),
    "type": _choice("type", TYPE_VALUES),
    "dept": _free_text,
    "team": _free_text,
    "assignee": _assignee,
    "requester": _requester,
    "tag": _free_text,
    "level": _choice("level", LEVEL_VALUES),
    "channel": _choice("channel", CHANNEL_VALUES),
    "category": _free_text,
    "is": _choice("is: value", IS_VALUES),
}


def _read_dates(raw_values: list[_RawValue]) -> tuple[tuple[str, ...], Operator]:
    first = raw_values[0]
    if len(raw_values) == 1:
        for symbol, operator in _OPERATOR_PREFIXES:
            if first.text.startswith(symbol):
                return (_iso_date(first.text.removeprefix(symbol), first.position),), operator
        if ".." in first.text:
            since, _, until = first.text.partition("..")
            days = (_iso_date(since, first.position), _iso_date(until, first.position))
            if days[0] > days[1]:
                raise QuerySyntaxError("the date range starts after it ends", first.position)
            return days, "range"
    for raw in raw_values:
        if raw.text.startswith(("<", ">")) or ".." in raw.text:
            raise QuerySyntaxError(
                "a date comparison or range must be the only value", raw.position
            )
    return _dedupe(_iso_date(raw.text, raw.position) for raw in raw_values), "eq"


def _iso_date(text: str, position: int) -> str:
    digits = text[:4] + text[5:7] + text[8:]
    if len(text) == 10 and text[4] == text[7] == "-" and _is_ascii_digits(digits):
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise QuerySyntaxError(f'bad date "{_clip(text)}": use YYYY-MM-DD', position)


def _assemble(items: list[_Item]) -> ParsedQuery:
    return ParsedQuery(
        terms=tuple(item for item in items if isinstance(item, Term)),
        phrases=tuple(item for item in items if isinstance(item, Phrase)),
        filters=tuple(item for item in items if isinstance(item, Filter)),
        ticket_numbers=tuple(item for item in items if isinstance(item, int)),
        emails=tuple(item.address for item in items if isinstance(item, _Email)),
    )


# Small helpers ----------------------------------------------------------------------------


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _canonical_id(digits: str, position: int, what: str) -> str:
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_ID_DIGITS:
        raise QuerySyntaxError(f"the {what} is too long", position)
    return significant


def _is_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    if not at or not local or "@" in local or _NOT_IN_EMAIL_LOCAL_PART.intersection(local):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(
        label and all(char.isalnum() or char == "-" for char in label) for label in labels
    )


def _collapse_spaces(text: str) -> str:
    return " ".join(text.split())


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unknown(what: str, given: str, known: Sequence[str]) -> str:
    guess = difflib.get_close_matches(given.lower(), known, n=1)
    hint = f'did you mean "{guess[0]}"?' if guess else f"expected one of {', '.join(known)}"
    return f'unknown {what} "{_clip(given)}" — {hint}'


def _quote_if_needed(value: str) -> str:
    if any(char.isspace() or char in ',"' for char in value):
        return _quote(value)
    return value


def _quote(text: str) -> str:
    """Quote with the fewest escapes, so the canonical form never outgrows its source."""
    chars = ['"']
    for i, char in enumerate(text):
        if char == '"' or (char == "\\" and (i + 1 == len(text) or text[i + 1] in '"\\')):
            chars.append("\\")
        chars.append(char)
    chars.append('"')
    return "".join(chars)


# Backends ---------------------------------------------------------------------------------


def to_fts5_match(parsed: ParsedQuery) -> str | None:
    """An SQLite FTS5 MATCH expression, or None when nothing positive is searched for.

    Every term is an FTS5 string, so no user text is read as FTS5 syntax. FTS5 has no unary
    NOT: a query that only excludes text gets None here and needs `to_fts5_exclusion_match`.
    """
    wanted = _fts5_strings(parsed, negated=False)
    if not wanted:
        return None
    expression = " AND ".join(wanted)
    unwanted = _fts5_strings(parsed, negated=True)
    if unwanted:
        expression = f"({expression}) NOT ({' OR '.join(unwanted)})"
    return expression


def to_fts5_exclusion_match(parsed: ParsedQuery) -> str | None:
    """An FTS5 MATCH expression for the excluded text, for `rowid NOT IN (... MATCH ...)`."""
    return " OR ".join(_fts5_strings(parsed, negated=True)) or None


def _fts5_strings(parsed: ParsedQuery, *, negated: bool) -> list[str]:
    strings = [
        _fts5_string(term.text) + ("*" if term.prefix else "")
        for term in parsed.terms
        if term.negated is negated
    ]
    strings += [_fts5_string(phrase.text) for phrase in parsed.phrases if phrase.negated is negated]
    return strings


def _fts5_string(text: str) -> str:
    return '"' + text.replace("\x00", " ").replace('"', '""') + '"'


_PG_MAX_LEXEME_BYTES = 2046  # PostgreSQL rejects longer words in a tsquery
_TSQUERY_SYNTAX = frozenset("'\\&|!()<>:*\"")


def to_pg_tsquery(parsed: ParsedQuery) -> str | None:
    """Text for `to_tsquery('simple', ...)`, or None when there is no usable text.

    Every tsquery operator character in user text is turned into a word break before the
    words are quoted, so user text can only ever contribute lexemes.
    """
    parts = [
        _pg_chain(term.text, prefix=term.prefix, negated=term.negated) for term in parsed.terms
    ]
    parts += [
        _pg_chain(phrase.text, prefix=False, negated=phrase.negated) for phrase in parsed.phrases
    ]
    return " & ".join(part for part in parts if part) or None


def _pg_chain(text: str, *, prefix: bool, negated: bool) -> str:
    lexemes = [f"'{word}'" for word in _pg_words(text)]
    if not lexemes:
        return ""
    if prefix:
        lexemes[-1] += ":*"
    chain = " <-> ".join(lexemes)
    if len(lexemes) > 1:
        chain = f"({chain})"
    return f"!{chain}" if negated else chain


def _pg_words(text: str) -> list[str]:
    spaced = "".join(
        " " if char in _TSQUERY_SYNTAX or not char.isprintable() else char for char in text
    )
    return [
        word
        for word in spaced.split()
        if any(char.isalnum() for char in word)
        and len(word.encode("utf-8", "replace")) <= _PG_MAX_LEXEME_BYTES
    ]
