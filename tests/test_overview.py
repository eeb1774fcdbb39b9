"""The ministry's overview: status board and comparison across the 53 counties, computed over what the user may see.

One synthetic data set (53 counties × 2012–2014) is generated per module inside a transaction that is rolled
back at the end; every test runs in a savepoint inside it, so tests stay independent and fast.
"""

from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import models as m
from agreements.services import overview as svc

from .builders_nrw import YEARS

BOARD = reverse("overview_board")
COMPARE = reverse("overview_compare")


@pytest.fixture
def data(nrw, db):
    # `db` opens a savepoint inside the module's transaction: each test's writes vanish after it.
    return nrw


def _get(login, user, url, params=None):
    response = login(user).get(url, params or {})
    assert response.status_code == 200
    return response


def _land_agreements(**filters):
    return m.Agreement.objects.filter(agreement_parties__role="land", **filters)


def _county_of(agreement_ids):
    return dict(
        m.AgreementParty.objects.filter(agreement_id__in=agreement_ids, role="kommunaler_traeger")
        .values_list("agreement_id", "party_id")
    )


# Status board ---------------------------------------------------------------------------------------------

def test_it_shows_every_county_by_year_with_the_last_three_years_by_default(data, login):
    board = _get(login, data.users.ministry, BOARD).context["board"]
    assert board.years == list(YEARS)
    assert len(board.rows) == 53
    assert len({row.county.pk for row in board.rows}) == 53
    # Grouped by Regierungsbezirk, each group once.
    labels = [label for label, _rows in board.groups]
    assert len(labels) == len(set(labels)) == 5
    assert "Regierungsbezirk Düsseldorf" in labels


def test_it_counts_agreements_per_status_like_the_database(data, login):
    board = _get(login, data.users.ministry, BOARD, {"year_from": 2012, "year_to": 2014}).context["board"]
    expected = Counter(_land_agreements(year__in=YEARS).values_list("status", flat=True))
    assert board.status_counts == expected
    assert board.agreement_count == 53 * 3
    assert len(expected) >= 5  # the generator spreads the statuses over the lifecycle


def test_it_shows_status_and_signature_progress_per_cell(data, login):
    response = _get(login, data.users.ministry, BOARD)
    board = response.context["board"]
    signatures = Counter(m.Signature.objects.values_list("agreement_id", flat=True))
    cells = 0
    for row in board.rows:
        for year, agreements in zip(board.years, row.cells, strict=True):
            assert len(agreements) == 1
            a = agreements[0]
            db = m.Agreement.objects.get(pk=a.pk)
            assert (db.year, db.status) == (year, a.status)
            assert m.AgreementParty.objects.filter(agreement=db, party=row.county).exists()
            assert (a.signed_count, a.party_count) == (signatures[a.pk], 2)
            cells += 1
    assert cells == 159
    body = response.content.decode()
    partly = next(a for row in board.rows for cell in row.cells for a in cell if a.signed_count == 1)
    assert f'href="{reverse("agreement_detail", args=[partly.pk])}"' in body
    assert "1/2" in body and "1 von 2 Unterschriften" in body


def test_it_limits_the_board_to_a_year_range(data, login):
    board = _get(login, data.users.ministry, BOARD, {"year_from": 2013, "year_to": 2013}).context["board"]
    assert board.years == [2013]
    assert board.status_counts == Counter(_land_agreements(year=2013).values_list("status", flat=True))
    # A range beyond the data shows empty cells, not an error.
    board = _get(login, data.users.ministry, BOARD, {"year_from": 2014, "year_to": 2016}).context["board"]
    assert board.years == [2014, 2015, 2016]
    assert all(row.cells[1] == [] and row.cells[2] == [] for row in board.rows)


@pytest.mark.parametrize("form", ["gE", "zkT", "none"])
def test_it_filters_the_board_by_jobcenter_form(data, login, form):
    board = _get(login, data.users.ministry, BOARD, {"form": form}).context["board"]
    expected = m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS, jobcenter_form="" if form == "none" else form)
    assert {row.county.pk for row in board.rows} == set(expected.values_list("pk", flat=True))
    # The reference data records the form of all 53 (18 zkT, 35 gE): "nicht erfasst" finds none of them.
    assert len(board.rows) == {"gE": 35, "zkT": 18, "none": 0}[form]
    assert board.agreement_count == 3 * len(board.rows)


def test_it_filters_the_board_by_region(data, login):
    board = _get(login, data.users.ministry, BOARD, {"region": "koeln"}).context["board"]
    expected = set(m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS, region="koeln").values_list("pk", flat=True))
    assert {row.county.pk for row in board.rows} == expected
    assert [label for label, _rows in board.groups] == ["Regierungsbezirk Köln"]
    both = _get(login, data.users.ministry, BOARD, {"region": "koeln", "form": "zkT"}).context["board"]
    assert {row.county.name for row in both.rows} == {"Kreis Düren"}


@pytest.mark.parametrize("params", [
    {"year_from": "abc"}, {"year_from": "2014", "year_to": "2012"}, {"year_from": "1900"},
    {"year_from": "2000", "year_to": "2099"}, {"form": "xx"}, {"region": "mars"}, {"year_to": "9" * 40},
])
def test_it_shows_bad_filters_as_form_errors_and_ignores_them(data, login, params):
    response = _get(login, data.users.ministry, BOARD, params)
    assert response.context["form"].errors
    board = response.context["board"]
    assert len(board.rows) == 53
    assert 1 <= len(board.years) <= svc.MAX_YEARS
    assert "invalid-feedback" in response.content.decode()


def _count_queries(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_issues_a_fixed_number_of_queries_whatever_the_counties_and_years(data, login):
    client = login(data.users.ministry)
    one_year = _count_queries(client, BOARD, {"year_from": 2014, "year_to": 2014, "region": "detmold"})
    three_years = _count_queries(client, BOARD, {"year_from": 2012, "year_to": 2014})
    ten_years = _count_queries(client, BOARD, {"year_from": 2005, "year_to": 2014})
    assert one_year == three_years == ten_years
    assert three_years <= 7  # session, user, memberships, counties, years, agreements (+1 spare)

    # The comparison of a year with many reviews costs as much as one of a year still in negotiation.
    compare_old = _count_queries(client, COMPARE, {"year": 2012})
    compare_new = _count_queries(client, COMPARE, {"year": 2014, "region": "muenster"})
    assert compare_old == compare_new
    assert compare_old <= 12


# Comparison -----------------------------------------------------------------------------------------------

def _compare(login, user, year=2012, **params):
    response = _get(login, user, COMPARE, {"year": year, **params})
    return response, dict(response.context["tables"])


def test_it_counts_goals_per_fingerprint_like_the_database(data, login):
    _response, tables = _compare(login, data.users.ministry)
    goals = tables["goals"]
    ids = list(_land_agreements(year=2012).values_list("pk", flat=True))
    county = _county_of(ids)
    expected = defaultdict(set)  # fingerprint label -> ids of the counties that have such a goal
    for agreement_id, area, code, name, direction, level in m.Goal.objects.filter(agreement_id__in=ids).values_list(
            "agreement_id", "area", "indicator__code", "indicator__name", "direction", "level"):
        label = svc.Fingerprint(area, code or "", name or "", direction, level).short_label
        expected[label].add(county[agreement_id])
    headers = [c.header for c in goals.columns[5:]]
    assert dict(zip(headers, goals.footer[5:], strict=True)) == {k: len(v) for k, v in expected.items()}
    # Most common first.
    assert goals.footer[5:] == sorted(goals.footer[5:], reverse=True)
    # Counties as rows, fingerprints as columns: ✓ exactly where the county has such a goal.
    assert len(goals.rows) == 53
    for row in goals.rows:
        party_id = m.Party.objects.get(name=str(row[0])).pk
        has = {label for label, counties in expected.items() if party_id in counties}
        assert {h for h, value in zip(headers, row[5:], strict=True) if value} == has
        assert row[3] == len(has)


@pytest.mark.parametrize("user, language, sentence", [
    ("editor", "de", "Jahr 2012: 1 Zielvereinbarung von 1 Kreis bzw. kreisfreien Stadt."),  # its own county only
    ("editor", "en", "Year 2012: 1 target agreement from 1 district or independent city."),
    ("ministry", "de", "Zielvereinbarungen von 53 Kreisen und kreisfreien Städten."),
])
def test_it_counts_agreements_and_counties_with_the_right_plural(data, login, user, language, sentence):
    client = login(getattr(data.users, user))
    client.cookies["django_language"] = language
    body = client.get(COMPARE, {"year": 2012}).content.decode()
    assert sentence in " ".join(body.split())


def test_it_computes_similarity_from_the_common_fingerprints(data, login):
    _response, tables = _compare(login, data.users.ministry, year=2013)
    goals = tables["goals"]
    footer = goals.footer[5:]
    common = [i for i, n in enumerate(footer) if n >= 53 / 2]
    assert common  # the three Landesziele at least
    for row in goals.rows:
        marks = row[5:]
        assert row[4] == round(100 * sum(1 for i in common if marks[i]) / len(common))
    assert any(row[4] < 100 for row in goals.rows)
    body = _response.content.decode()
    assert "vorhanden" in body and "nicht vorhanden" in body and "✓" in body


def test_it_counts_offer_uptake_per_topic_like_the_database(data, login):
    _response, tables = _compare(login, data.users.ministry, year=2013)
    offers = tables["offers"]
    ids = list(_land_agreements(year=2013).values_list("pk", flat=True))
    topics = list(m.Topic.objects.order_by("number"))
    assert [c.header for c in offers.columns[3:]] == [str(t) for t in topics]
    expected = [
        m.SupportOffer.objects.filter(agreement_id__in=ids, topic=t).values("agreement").distinct().count()
        for t in topics
    ]
    assert offers.footer[3:] == expected
    county = _county_of(ids)
    per_county = Counter(
        (county[a], t) for a, t in m.SupportOffer.objects.filter(agreement_id__in=ids)
        .values_list("agreement_id", "topic_id").order_by().distinct()
    )
    for row in offers.rows:
        party_id = m.Party.objects.get(name=str(row[0])).pk
        assert row[3:] == [per_county[party_id, t.pk] for t in topics]


def test_it_counts_proposals_per_county_and_decision_like_the_database(data, login):
    for year in YEARS:
        _response, tables = _compare(login, data.users.ministry, year=year)
        proposals = tables["proposals"]
        assert [c.header for c in proposals.columns[3:]] == [
            "Vorschläge", "übernommen", "teilweise übernommen", "nicht übernommen", "offen"]
        ids = list(_land_agreements(year=year).values_list("pk", flat=True))
        county = _county_of(ids)
        expected = Counter()
        for agreement_id, decision in m.Proposal.objects.filter(agreement_id__in=ids).values_list(
                "agreement_id", "decision"):
            expected[county[agreement_id], decision] += 1
        for row in proposals.rows:
            party_id = m.Party.objects.get(name=str(row[0])).pk
            values = [expected[party_id, d] for d in ("uebernommen", "teilweise", "nicht_uebernommen", "offen")]
            assert row[3:] == [sum(values), *values]
        assert proposals.footer[3] == m.Proposal.objects.filter(agreement_id__in=ids).count()


def test_it_counts_achievement_from_the_latest_review_like_the_database(data, login):
    _response, tables = _compare(login, data.users.ministry, year=2012)
    achievement = tables["achievement"]
    ids = list(_land_agreements(year=2012).values_list("pk", flat=True))
    county = _county_of(ids)
    latest = {}
    for review in m.Review.objects.filter(agreement_id__in=ids).order_by("date", "pk"):
        latest[review.agreement_id] = review
    assert latest, "2012 is old enough to have reviews"
    expected = Counter()
    for review in latest.values():
        for status in review.assessments.values_list("status", flat=True):
            expected[county[review.agreement_id], status] += 1
    statuses = [value for value, _label in m.Assessment.Status.choices]
    seen = 0
    for row in achievement.rows:
        party_id = m.Party.objects.get(name=str(row[0])).pk
        review = next((r for a, r in latest.items() if county[a] == party_id), None)
        if review is None:
            assert row[3] is None and row[5] is None
            continue
        seen += 1
        assert row[3] == review.date
        values = [expected[party_id, s] for s in statuses]
        assert row[5:] == [sum(values), *values]
    assert seen == len(latest)
    # Older reviews do not count: only the latest (final) review's statuses appear.
    assert achievement.footer[5] == sum(r.assessments.count() for r in latest.values())


def test_it_filters_the_comparison_and_defaults_to_the_latest_year(data, login):
    response, tables = _compare(login, data.users.ministry, year="", form="zkT")
    assert response.context["scope"].year == 2014
    counties = m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS, jobcenter_form="zkT")
    zkt = set(counties.values_list("name", flat=True))
    for table in tables.values():
        assert {str(row[0]) for row in table.rows} == zkt
    bad = _get(login, data.users.ministry, COMPARE, {"year": "zwanzig", "region": "x"})
    assert bad.context["form"].errors and bad.context["scope"].year == 2014


# Access ---------------------------------------------------------------------------------------------------

OTHER_COUNTIES = ("Kreis Kleve", "Stadt Essen", "Kreis Lippe", "Stadt Köln")


def test_it_shows_a_county_only_its_own_row(data, login):
    for url, params in ((BOARD, {}), (COMPARE, {"year": 2012})):
        response = _get(login, data.users.editor, url, params)
        body = response.content.decode()
        assert "Kreis Mettmann" in body
        for name in OTHER_COUNTIES:
            assert name not in body
    board = _get(login, data.users.editor, BOARD).context["board"]
    assert [row.county for row in board.rows] == [data.mettmann]
    assert board.agreement_count == 3
    tables = dict(_get(login, data.users.editor, COMPARE, {"year": 2012}).context["tables"])
    assert all([str(row[0]) for row in t.rows] == ["Kreis Mettmann"] for t in tables.values())


def test_it_shows_an_outsider_nothing_of_mettmann(data, login):
    for url in (BOARD, COMPARE):
        body = _get(login, data.users.outsider, url).content.decode()
        assert "Mettmann" not in body
        assert "Kreis Kleve" in body


def test_it_shows_the_jobcenter_its_county_row_without_agreements(data, login):
    # The Jobcenter is not party to the ministry's agreements: it sees its county's row, but no agreement.
    board = _get(login, data.users.jobcenter, BOARD).context["board"]
    assert [row.county for row in board.rows] == [data.mettmann]
    assert board.agreement_count == 0


def test_it_shows_the_ministry_and_admins_everything(data, login):
    for user in (data.users.ministry, data.users.admin):
        board = _get(login, user, BOARD).context["board"]
        assert len(board.rows) == 53 and board.agreement_count == 159


def test_it_explains_the_empty_page_to_a_user_without_memberships(data, login):
    for url in (BOARD, COMPARE):
        response = _get(login, data.users.nobody, url)
        body = response.content.decode()
        assert "keiner Stelle zugeordnet" in body
        assert "Mettmann" not in body
    assert _get(login, data.users.nobody, BOARD).context["board"].rows == []


def test_it_sends_anonymous_users_to_the_login(data, login):
    client = login(None)
    for url in (BOARD, COMPARE, reverse("overview_export", args=["board", "csv"]),
                reverse("agreement_list_export", args=["xlsx"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_refuses_posts(data, login):
    client = login(data.users.ministry)
    for url in (BOARD, COMPARE, reverse("overview_export", args=["goals", "csv"])):
        assert client.post(url).status_code == 405
