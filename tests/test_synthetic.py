"""synthetic.generate: deterministic, complete for the 53 counties, and within the models' rules."""

import re
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import F

from agreements import models as m
from agreements.data import synthetic
from agreements.services.versions import agreement_snapshot

from .factories import add_parties, module_data

S = m.Agreement.Status
YEARS = (2012, 2013, 2014)


def _generate(seed=1, years=YEARS, **sizes):
    options = {"goals_per_agreement": 4, "versions": 2, "steps": 5, "letters": 3, "vorlagen": True, **sizes}
    return synthetic.generate(years=years, seed=seed, **options)


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """The default data set (three years), generated once for the tests that only read it."""
    with module_data(django_db_blocker), django_db_blocker.unblock():
        yield _generate()


def _content():
    """What the data says, without database ids: equal for equal runs."""
    return {
        "agreements": list(m.Agreement.objects.order_by("title").values_list("title", "status", "predecessor__title")),
        "goals": list(m.Goal.objects.order_by("agreement__title", "order").values_list(
            "agreement__title", "title", "kind", "reference_value", "corridor_low", "corridor_high")),
        "offers": list(m.SupportOffer.objects.order_by("agreement__title", "order").values_list(
            "agreement__title", "topic__number", "status")),
        "proposals": Counter(m.Proposal.objects.values_list("agreement__title", "decision")),
        "signatures": list(m.Signature.objects.order_by("agreement__title", "party__key").values_list(
            "agreement__title", "party__key", "date", "signatory_name")),
        "assessments": Counter(m.Assessment.objects.values_list("review__agreement__title", "status")),
        "vorlagen": list(
            m.Vorlage.objects.order_by("reference").values_list("reference", "agreement__title", "status")),
    }


def _run_and_roll_back(seed):
    with transaction.atomic():
        counts = _generate(seed, years=(2012, 2013), goals_per_agreement=3, versions=1, steps=3)
        content = _content()
        transaction.set_rollback(True)
    return counts, content


def test_it_is_deterministic_for_a_seed(db):
    first = _run_and_roll_back(seed=3)
    again = _run_and_roll_back(seed=3)
    other = _run_and_roll_back(seed=4)
    assert first == again
    assert first[1] != other[1]
    counts = first[0]
    assert counts["agreement"] == 53 * 2
    assert counts["agreementparty"] == 2 * 53 * 2
    assert counts["goal"] == 3 * 53 * 2
    assert counts["vorlage"] == 53 * 2
    assert counts["topic"] == 7


def test_it_creates_one_agreement_per_county_and_year_between_ministry_and_county(db, generated):
    ministry = m.Party.objects.get(key="mais-nrw")
    counties = m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS)
    assert counties.count() == 53
    pairs = Counter()
    for agreement in m.Agreement.objects.prefetch_related("agreement_parties__party"):
        roles = {ap.role: ap.party for ap in agreement.agreement_parties.all()}
        assert set(roles) == {"land", "kommunaler_traeger"}
        assert roles["land"] == ministry and roles["kommunaler_traeger"].is_county
        assert agreement.period_start.year == agreement.period_end.year == agreement.year
        assert "Synthetische Daten" in agreement.preamble
        pairs[roles["kommunaler_traeger"].pk, agreement.year] += 1
        if agreement.year > YEARS[0]:
            assert agreement.predecessor.year == agreement.year - 1
            assert agreement.predecessor.agreement_parties.filter(party=roles["kommunaler_traeger"]).exists()
    assert set(pairs.values()) == {1}
    assert len(pairs) == 53 * 3


def test_it_spreads_the_statuses_over_the_lifecycle(db, generated):
    statuses = Counter(m.Agreement.objects.values_list("status", flat=True))
    assert len(statuses) >= 7
    newest = set(m.Agreement.objects.filter(year=2014).values_list("status", flat=True))
    oldest = set(m.Agreement.objects.filter(year=2012).values_list("status", flat=True))
    assert {S.DRAFT, S.NEGOTIATION} <= newest
    assert not {S.DRAFT, S.NEGOTIATION, S.AGREED} & oldest
    assert all(a.status_reason for a in m.Agreement.objects.filter(status__in=[S.WITHDRAWN, S.NOT_SIGNED]))


def test_it_respects_the_goal_rules(db):
    _generate(years=(2012,), goals_per_agreement=12, versions=0, steps=0, letters=0, vorlagen=False)
    goals = m.Goal.objects.select_related("agreement", "indicator")
    assert goals.count() == 12 * 53
    kinds = Counter(goals.values_list("kind", flat=True))
    assert set(kinds) == {"qualitativ", "quantitativ", "monitoring"}
    assert set(goals.values_list("level", flat=True)) == {"landesziel", "lokal"}
    assert len(set(goals.values_list("area", flat=True))) == 6
    assert goals.filter(kind="quantitativ", indicator__isnull=False).exists()
    for goal in goals:
        if goal.kind == "qualitativ":
            assert (goal.reference_value, goal.corridor_low, goal.corridor_high, goal.target_value) == (None,) * 4
        if goal.kind == "quantitativ":
            assert goal.corridor_low <= goal.reference_value <= goal.corridor_high
        goal.full_clean()
    # The Landesziele are in every agreement, once.
    state = Counter(goals.filter(level="landesziel").values_list("agreement_id", "title"))
    assert set(state.values()) == {1} and len(state) == 3 * 53


def test_it_spreads_offers_over_the_seven_topics(db, generated):
    from agreements.data.catalogue import TOPICS

    assert list(m.Topic.objects.order_by("number").values_list("number", "name")) == list(TOPICS)
    per_topic = Counter(m.SupportOffer.objects.values_list("topic__number", flat=True))
    assert set(per_topic) == set(range(1, 8))
    assert m.Agreement.objects.filter(offers__isnull=True).count() == 0


def test_it_signs_reviews_and_decides_as_the_status_says(db, generated):
    for agreement in m.Agreement.objects.prefetch_related("signatures", "reviews__assessments", "proposals",
                                                          "versions", "goals"):
        signatures = len(agreement.signatures.all())
        if agreement.status in m.Agreement.SIGNED_STATUSES:
            assert signatures == 2
        elif agreement.status == S.NOT_SIGNED:
            assert signatures == 1
        elif agreement.status == S.AGREED:
            assert signatures in (0, 1)
        else:
            assert signatures == 0
        reviews = list(agreement.reviews.all())
        expected_reviews = {S.IN_EFFECT: 1, S.EVALUATED: 2, S.CLOSED: 2}.get(agreement.status, 0)
        assert len(reviews) == expected_reviews
        for review in reviews:
            assert len(review.assessments.all()) == len(agreement.goals.all())
        for proposal in agreement.proposals.all():
            if proposal.decision in ("teilweise", "nicht_uebernommen"):
                assert proposal.reason
            if proposal.decision == "offen":
                assert agreement.status in (S.NEGOTIATION, S.WITHDRAWN)
        versions = sorted(agreement.versions.all(), key=lambda v: v.number)
        assert [v.number for v in versions] == ([] if agreement.status == S.DRAFT else [1, 2])
        finals = [v for v in versions if v.kind == "endfassung"]
        assert finals == (versions[-1:] if agreement.status in synthetic.FINALISED else [])
    partly = m.Agreement.objects.filter(status=S.AGREED, signatures__isnull=False)
    assert partly.exists()


def test_it_builds_version_snapshots_with_the_apps_function(db, generated):
    agreement = m.Agreement.objects.filter(status=S.CLOSED).first()
    latest = agreement.versions.order_by("-number").first()
    current = agreement_snapshot(agreement)
    assert latest.snapshot == current
    first = agreement.versions.get(number=1)
    assert len(first.snapshot["goals"]) == len(current["goals"]) - 1


def test_it_records_procedure_steps_and_letters(db, generated):
    negotiated = m.Agreement.objects.exclude(status=S.DRAFT)
    assert set(Counter(m.ProcedureStep.objects.filter(agreement__in=negotiated)
                       .values_list("agreement_id", flat=True)).values()) == {5}
    assert set(Counter(m.Letter.objects.filter(agreement__in=negotiated)
                       .values_list("agreement_id", flat=True)).values()) == {3}
    assert not m.Letter.objects.filter(sender=F("recipient")).exists()
    kinds = set(m.ProcedureStep.objects.values_list("kind", flat=True))
    assert {"referenzwerte", "gespraech", "entwurf_uebersandt"} <= kinds
    for step in m.ProcedureStep.objects.filter(kind="entwurf_uebersandt").select_related("version")[:20]:
        assert step.version.agreement_id == step.agreement_id


def test_it_writes_one_vorlage_per_county_and_year(db, generated):
    vorlagen = m.Vorlage.objects.select_related("department", "author", "agreement")
    assert vorlagen.count() == 53 * 3
    references = list(vorlagen.values_list("reference", flat=True))
    assert len(set(references)) == len(references)
    for vorlage in vorlagen.prefetch_related("sections", "consultations", "agreement__agreement_parties"):
        assert re.fullmatch(r"50/\d{3}/\d{4}", vorlage.reference)
        assert vorlage.reference == m.Vorlage.format_reference("50", vorlage.running_number, vorlage.year)
        county_id = next(ap.party_id for ap in vorlage.agreement.agreement_parties.all()
                         if ap.role == "kommunaler_traeger")
        assert vorlage.department.party_id == vorlage.author.party_id == county_id
        assert vorlage.department.number == "50"
        assert len(vorlage.sections.all()) == 3 and len(vorlage.consultations.all()) == 1
        released = vorlage.status != m.Vorlage.Status.DRAFT
        assert released == (vorlage.agreement.status in m.Agreement.SIGNED_STATUSES)
        assert released == (vorlage.released_at is not None)


def test_it_leaves_the_write_guards_intact(db):
    _generate(years=(2012,))
    signed_goal = m.Goal.objects.filter(agreement__status__in=m.Agreement.SIGNED_STATUSES).first()
    signed_goal.title = "geändert"
    with pytest.raises(m.ImmutableRecordError):
        signed_goal.save()
    section = m.VorlageSection.objects.filter(vorlage__status__in=m.Vorlage.FROZEN_STATUSES).first()
    section.text = "geändert"
    with pytest.raises(m.ImmutableRecordError):
        section.save()


def test_it_skips_county_years_that_have_an_agreement_already(db):
    from agreements.management.commands.load_reference import load_reference

    load_reference()
    ministry = m.Party.objects.get(key="mais-nrw")
    mettmann = m.Party.objects.get(key="kreis-mettmann")
    existing = add_parties(m.Agreement.objects.create(title="ZV 2012 Mettmann (echt)", year=2012), ministry, mettmann)

    counts = _generate(years=(2012, 2013), vorlagen=False)
    assert counts["skipped"] == 1
    assert counts["agreement"] == 53 * 2 - 1
    successor = m.Agreement.objects.get(year=2013, agreement_parties__party=mettmann)
    assert successor.predecessor == existing

    assert _generate(years=(2012, 2013)) == {"skipped": 106}
    assert m.Agreement.objects.count() == 106


def test_it_refuses_negative_sizes_and_accepts_no_years(db):
    with pytest.raises(ValueError):
        synthetic.generate(years=(2012,), steps=-1)
    assert synthetic.generate(years=()) == {}
