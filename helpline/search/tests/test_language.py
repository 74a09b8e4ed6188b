"""The search language: which words stem alike, chosen by the settings and applied when the
index is built or rebuilt. PostgreSQL stems every language it has a stemmer for; SQLite's FTS5
English only (its porter tokenizer)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import override_settings

from helpline.search import index
from helpline.search.backends import backend_for
from helpline.search.language import dictionary, search_language
from helpline.search.selectors import search_tickets


@pytest.mark.parametrize(
    ("setting", "language_code", "expected"),
    [
        ("", "en", "english"),
        ("", "pt-br", "portuguese"),
        ("de", "en", "german"),
        ("German", "en", "german"),
        ("simple", "de", "simple"),
        ("", "zh-hans", "simple"),
        ("klingon", "en", "klingon"),  # the backend checks PostgreSQL has a stemmer for it
        ("english'; DROP TABLE x; --", "en", "simple"),
    ],
)
def test_the_search_language_comes_from_the_setting_else_the_instance_language(
    setting, language_code, expected
):
    assert search_language(setting, language_code) == expected


def test_a_language_stems_by_its_snowball_dictionary_and_simple_by_none():
    assert dictionary("english") == "english_stem"
    assert dictionary("simple") == "simple"


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 index stems English only, with no stop words")


def found(user, text: str) -> list[int]:
    return [hit.ticket.number for hit in search_tickets(user=user, query=text).hits]


def test_words_are_found_in_their_other_forms_in_the_instance_language(desk):
    ticket = desk.ticket(subject="Printer jammed", description="Replacing cartridges.")

    assert found(desk.l1, "printers") == [ticket.number]
    assert found(desk.l1, "jams cartridge") == [ticket.number]
    assert found(desk.l1, '"printers jam"') == [ticket.number]
    assert found(desk.l1, "print*") == [ticket.number]


def test_stop_words_ask_nothing(desk, postgres):
    ticket = desk.ticket(subject="Printer jammed", description="Replacing cartridges.")

    assert found(desk.l1, "the printer") == [ticket.number]
    assert found(desk.l1, "the") == []


def test_a_rebuild_takes_up_a_changed_language_and_a_resumed_one_keeps_it(desk):
    ticket = desk.ticket(subject="Printers", description="Out of order.")
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        assert backend.index_language(cursor) == "english"

    with override_settings(HELPLINE_SEARCH_LANGUAGE="simple"):
        index.rebuild(connection, from_id=ticket.pk)  # resumed: the language stays
        assert found(desk.l1, "printer") == [ticket.number]
        index.rebuild(connection)
        with connection.cursor() as cursor:
            assert backend.index_language(cursor) == "simple"
        assert found(desk.l1, "printer") == []
        assert found(desk.l1, "printers") == [ticket.number]

    index.rebuild(connection)
    assert found(desk.l1, "printer") == [ticket.number]


def test_a_language_postgresql_cannot_stem_falls_back_to_none(desk, postgres, caplog):
    ticket = desk.ticket(subject="Printers", description="Out of order.")

    with override_settings(HELPLINE_SEARCH_LANGUAGE="klingon"), caplog.at_level(logging.WARNING):
        index.rebuild(connection)

    with connection.cursor() as cursor:
        assert backend_for(connection).index_language(cursor) == "simple"
    assert "no stemmer for 'klingon'" in caplog.text
    assert found(desk.l1, "printers") == [ticket.number]
    assert found(desk.l1, "printer") == []
    with override_settings(HELPLINE_SEARCH_LANGUAGE="klingon"):
        assert index.stemming(connection) == ("simple", "simple")  # nothing left to apply


def test_migrating_warns_while_the_index_stems_by_another_language(desk, caplog):
    from helpline.search.apps import _restore_triggers

    config = type("Config", (), {})()
    with override_settings(HELPLINE_SEARCH_LANGUAGE="german"), caplog.at_level(logging.WARNING):
        _restore_triggers(config, using="default")

    # SQLite has no German stemmer: a rebuild would match words as written.
    wanted = "german" if connection.vendor == "postgresql" else "simple"
    assert f"stems words as english, the settings ask for {wanted}" in caplog.text
    assert "helpline search-reindex" in caplog.text


def test_the_same_language_asks_nothing_of_migrate(desk, caplog):
    from helpline.search.apps import _restore_triggers

    with caplog.at_level(logging.WARNING):
        _restore_triggers(type("Config", (), {})(), using="default")

    assert "stems words" not in caplog.text


def test_articles_are_stemmed_in_the_search_language_and_rebuilt_with_it(desk):
    from helpline.kb.selectors import search_articles
    from helpline.kb.tests.factories import article

    made = article(author=desk.l2, title="Printer setup", body="Connecting printers.")

    def titles(text: str) -> list[str]:
        return [hit.title for hit in search_articles(user=desk.customer, query=text)]

    def storage() -> object:  # REINDEX writes an index anew, in a new file; SQLite's table
        with connection.cursor() as cursor:  # is made anew, with its tokenizer in its SQL
            if connection.vendor == "sqlite":
                cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'kb_article_fts'")
            else:
                cursor.execute(
                    "SELECT relfilenode FROM pg_class WHERE relname = 'kb_article_search'"
                )
            return cursor.fetchone()[0]

    assert titles("printers setups") == [made.title]
    before = storage()
    index.rebuild(connection)  # the same language: nothing to rewrite
    assert storage() == before
    with override_settings(HELPLINE_SEARCH_LANGUAGE="simple"):
        index.rebuild(connection)
        assert storage() != before  # the article index was rebuilt with the configuration
        assert titles("printers setups") == []
        assert titles("printer setup") == [made.title]
