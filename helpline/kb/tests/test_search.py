from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from helpline.kb import services
from helpline.kb.selectors import search_articles
from helpline.kb.tests.factories import article


def titles(hits):
    return {hit.title for hit in hits}


def test_anonymous_and_customers_find_only_published_public_articles(desk, articles):
    for user in (AnonymousUser(), desk.customer):
        assert titles(search_articles(user=user, query="printer", limit=10)) == {
            "Printer offline public fix"
        }


def test_agents_find_published_internal_and_drafts_but_not_archived(desk, articles):
    found = titles(search_articles(user=desk.l2, query="printer", limit=10))

    assert found == {
        "Printer offline public fix",
        "Printer driver internal notes",
        "Printer draft guide",
    }


def test_a_title_match_ranks_above_a_body_match(desk):
    body_only = article(author=desk.l1, title="Network basics", body="vpn " + "word " * 30)
    in_title = article(author=desk.l1, title="VPN does not connect", body="Check the client.")

    hits = search_articles(user=desk.customer, query="vpn", limit=10)

    assert [hit.id for hit in hits] == [in_title.pk, body_only.pk]
    assert hits[0].rank > hits[1].rank


def test_the_snippet_is_escaped_and_marks_the_match(desk):
    article(author=desk.l1, title="Outlook", body="<script>x</script> Outlook asks for password")

    (hit,) = search_articles(user=desk.customer, query="password", limit=5)

    assert "<script>" not in hit.snippet
    assert "<mark>password</mark>" in hit.snippet


def test_the_query_language_excludes_words_and_matches_phrases(desk):
    article(author=desk.l1, title="Reset your password", body="Use the self-service portal.")
    article(author=desk.l1, title="Password policy", body="Twelve characters at least.")

    assert titles(search_articles(user=desk.customer, query="password -policy", limit=5)) == {
        "Reset your password"
    }
    assert titles(search_articles(user=desk.customer, query='"self-service portal"', limit=5)) == {
        "Reset your password"
    }


def test_prefix_matching_finds_a_half_typed_word(desk):
    article(author=desk.l1, title="Printer jams", body="Open tray 2.")

    assert titles(search_articles(user=desk.customer, query="prin", limit=5, prefix=True)) == {
        "Printer jams"
    }


def test_an_edit_is_searchable_at_once_and_the_old_words_are_gone(desk):
    made = article(author=desk.l1, title="Scanner", body="Old text about toner.")
    services.article_update(actor=desk.l1, article=made, body="New text about staples.")

    assert not search_articles(user=desk.customer, query="toner", limit=5)
    assert titles(search_articles(user=desk.customer, query="staples", limit=5)) == {"Scanner"}


def test_empty_or_unreadable_queries_find_nothing_and_never_raise(desk, articles):
    for query in ("", "   ", "-printer", '"', "status:open", "*", "((", "\x00"):
        assert search_articles(user=desk.l1, query=query, limit=5) == []


def test_the_limit_is_clamped(desk, articles):
    assert len(search_articles(user=desk.l1, query="printer", limit=0)) == 1
    assert len(search_articles(user=desk.l1, query="printer", limit=10_000)) == 3


def test_search_costs_two_queries_however_many_hits(desk, django_assert_max_num_queries):
    for n in range(8):
        article(author=desk.l1, title=f"Printer {n}", body="printer help")

    with django_assert_max_num_queries(2):
        hits = search_articles(user=desk.customer, query="printer", limit=20)
    assert len(hits) == 8
