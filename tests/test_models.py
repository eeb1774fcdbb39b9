"""Hard rules live in the database: these tests bypass forms and prove the constraints themselves refuse."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agreements import models as m

from .factories import (
    AgreementFactory,
    DepartmentFactory,
    GoalFactory,
    PartyFactory,
    PersonFactory,
    VorlageFactory,
)

pytestmark = pytest.mark.django_db


def refused(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_it_refuses_a_corridor_with_low_above_high():
    agreement = AgreementFactory()
    refused(lambda: GoalFactory(
        agreement=agreement, kind=m.Goal.Kind.QUANTITATIVE, corridor_low=Decimal("5"), corridor_high=Decimal("2")
    ))
    assert not m.Goal.objects.exists()


def test_it_accepts_a_corridor_with_low_equal_high_and_an_open_side():
    agreement = AgreementFactory()
    GoalFactory(agreement=agreement, kind="quantitativ", corridor_low=Decimal("2"), corridor_high=Decimal("2"))
    GoalFactory(agreement=agreement, kind="quantitativ", corridor_low=Decimal("2"), corridor_high=None)
    assert m.Goal.objects.count() == 2


def test_it_refuses_numbers_on_a_qualitative_goal():
    refused(lambda: GoalFactory(kind=m.Goal.Kind.QUALITATIVE, target_value=Decimal("1")))


def quantitative(agreement, **values):
    """An unsaved quantitative goal with the corridor 24 to 26 unless `values` say otherwise."""
    return GoalFactory.build(agreement=agreement, kind=m.Goal.Kind.QUANTITATIVE,
                             **{"corridor_low": Decimal("24"), "corridor_high": Decimal("26"), **values})


@pytest.mark.parametrize("values", [
    {"target_value": Decimal("40")}, {"target_value": Decimal("23.999")},
    # Either bound alone is a corridor too.
    {"target_value": Decimal("40"), "corridor_low": None}, {"target_value": Decimal("20"), "corridor_high": None},
], ids=["above", "below", "above the upper bound only", "below the lower bound only"])
def test_it_refuses_a_target_value_outside_its_corridor_without_a_reason(values):
    agreement = AgreementFactory()
    refused(lambda: quantitative(agreement, **values).save())
    assert not m.Goal.objects.exists()
    quantitative(agreement, corridor_exception_reason="Sondereffekt", **values).save()
    assert m.Goal.objects.count() == 1


@pytest.mark.parametrize("values", [
    {"target_value": Decimal("25")}, {"target_value": Decimal("24")}, {"target_value": Decimal("26")},
    {"target_value": None}, {"target_value": Decimal("40"), "corridor_low": None, "corridor_high": None},
], ids=["inside", "lower bound", "upper bound", "no target", "no corridor"])
def test_it_keeps_the_reason_for_target_values_outside_their_corridor(values):
    agreement = AgreementFactory()
    quantitative(agreement, **values).save()  # no reason needed
    refused(lambda: quantitative(agreement, corridor_exception_reason="Sondereffekt", **values).save())
    assert m.Goal.objects.count() == 1


def test_it_states_the_corridor_rule_in_clean_with_the_values():
    goal = quantitative(AgreementFactory(), target_value=Decimal("40"), unit="%")
    with pytest.raises(ValidationError) as error:
        goal.clean()
    [message] = error.value.message_dict["corridor_exception_reason"]
    assert "Der Zielwert 40\u00a0% liegt außerhalb des Korridors von 24 bis 26\u00a0%." in message
    goal.corridor_exception_reason = "  Sondereffekt  "
    goal.clean()
    assert goal.corridor_exception_reason == "Sondereffekt"
    goal.target_value = Decimal("25")
    goal.clean()
    assert goal.corridor_exception_reason == ""  # back inside: the reason goes, as in the service


def test_it_refuses_a_second_signature_of_the_same_party():
    agreement = AgreementFactory()
    party = PartyFactory()
    kwargs = dict(agreement=agreement, party=party, signatory_name="Hendele", signatory_function="Landrat",
                  date=datetime.date(2012, 4, 2), place="Mettmann")
    m.Signature.objects.create(**kwargs)
    refused(lambda: m.Signature.objects.create(**kwargs))
    assert m.Signature.objects.count() == 1


def test_it_refuses_a_duplicate_vorlage_number():
    department = DepartmentFactory(number="50")
    VorlageFactory(department=department, running_number=15, year=2012)
    refused(lambda: VorlageFactory(department=department, running_number=15, year=2012))
    assert m.Vorlage.objects.filter(reference="50/015/2012").count() == 1


def test_it_derives_the_vorlage_number_and_lets_two_counties_use_the_same_one():
    mettmann_50 = DepartmentFactory(number="50")
    neuss_50 = DepartmentFactory(number="50")  # another Stelle: its own Fachbereich 50
    first = VorlageFactory(department=mettmann_50, running_number=15, year=2012, reference="irgendwas")
    second = VorlageFactory(department=neuss_50, running_number=15, year=2012)
    assert first.reference == second.reference == "50/015/2012"


def test_it_formats_the_vorlage_number_with_three_digits():
    assert m.Vorlage.format_reference("50", 15, 2012) == "50/015/2012"


def test_it_refuses_a_non_public_vorlage_without_reason():
    refused(lambda: VorlageFactory(public=False, non_public_reason=""))


def test_it_refuses_an_unexplained_financial_impact():
    refused(lambda: VorlageFactory(financial_impact=m.Impact.YES, financial_impact_text=""))


def test_it_refuses_a_rejected_proposal_without_reason():
    agreement = AgreementFactory()
    party = PartyFactory()
    refused(lambda: m.Proposal.objects.create(
        agreement=agreement, party=party, text="x", decision=m.Proposal.Decision.REJECTED, reason=""
    ))


def test_it_refuses_a_duplicate_party_on_an_agreement():
    agreement = AgreementFactory()
    party = PartyFactory()
    m.AgreementParty.objects.create(agreement=agreement, party=party, role="land")
    refused(lambda: m.AgreementParty.objects.create(agreement=agreement, party=party, role="kommunaler_traeger"))


def test_it_refuses_a_second_membership_of_the_same_user_and_party(django_user_model):
    user = django_user_model.objects.create_user("u")
    party = PartyFactory()
    m.Membership.objects.create(user=user, party=party, role="reader")
    refused(lambda: m.Membership.objects.create(user=user, party=party, role="editor"))


def test_it_never_changes_or_deletes_a_sent_version():
    agreement = AgreementFactory()
    party = PartyFactory()
    version = m.AgreementVersion.objects.create(
        agreement=agreement, number=1, author_party=party, sent_at=datetime.datetime(2012, 1, 25, tzinfo=datetime.UTC),
        snapshot={"title": "a"},
    )
    version.note = "changed"
    with pytest.raises(m.ImmutableRecordError):
        version.save()
    with pytest.raises(m.ImmutableRecordError):
        version.delete()
    refused(lambda: m.AgreementVersion.objects.create(
        agreement=agreement, number=1, author_party=party, sent_at=version.sent_at, snapshot={}
    ))
    version.refresh_from_db()
    assert version.note == ""


def test_it_records_history_of_edits():
    goal = GoalFactory(title="alt")
    goal.title = "neu"
    goal.save()
    assert [h.title for h in goal.history.order_by("history_date")] == ["alt", "neu"]


def test_it_names_people_as_the_vorlage_does():
    person = PersonFactory(form_of_address="Frau", given_name="Ulrike", family_name="Gansauer")
    assert person.full_name == "Frau Ulrike Gansauer"
    doctor = PersonFactory(form_of_address="Herr", title="Dr.", given_name="", family_name="Schäffer")
    assert doctor.full_name == "Herr Dr. Schäffer"


def _released_vorlage():
    vorlage = VorlageFactory()
    section = m.VorlageSection.objects.create(vorlage=vorlage, heading="I. Rechtliche Grundlagen", text="§ 48b")
    anlage = m.VorlageAnlage.objects.create(vorlage=vorlage, title="Zielvereinbarung")
    committee = m.Committee.objects.create(party=vorlage.department.party, name="Sozialausschuss")
    consultation = m.Consultation.objects.create(paper=vorlage, committee=committee, role="kenntnisnahme")
    m.Vorlage.objects.filter(pk=vorlage.pk).update(status=m.Vorlage.Status.RELEASED)
    vorlage.refresh_from_db()
    return vorlage, section, anlage, consultation


@pytest.mark.parametrize("write", [
    lambda v, s, a, c: setattr(v, "name", "neu") or v.save(),
    lambda v, s, a, c: v.delete(),
    lambda v, s, a, c: setattr(s, "text", "neu") or s.save(),
    lambda v, s, a, c: s.delete(),
    lambda v, s, a, c: m.VorlageSection.objects.create(vorlage=v, heading="IV."),
    lambda v, s, a, c: setattr(a, "title", "neu") or a.save(),
    lambda v, s, a, c: m.VorlageAnlage.objects.create(vorlage=v, title="neu"),
    lambda v, s, a, c: setattr(c, "role", "entscheidung") or c.save(),
    lambda v, s, a, c: c.delete(),
])
def test_it_never_changes_a_released_vorlage_through_a_direct_model_write(write):
    vorlage, section, anlage, consultation = _released_vorlage()
    with pytest.raises(m.ImmutableRecordError), transaction.atomic():
        write(vorlage, section, anlage, consultation)
    vorlage.refresh_from_db()
    section.refresh_from_db()
    assert (vorlage.name, section.text, m.VorlageSection.objects.count(), m.VorlageAnlage.objects.count()) == (
        "Zielsteuerung 2012", "§ 48b", 1, 1)


def test_it_still_records_results_and_status_of_a_released_vorlage():
    vorlage, _section, _anlage, consultation = _released_vorlage()
    consultation.result = m.Consultation.Result.NOTED
    consultation.save()
    vorlage.status = m.Vorlage.Status.DONE
    vorlage.save()
    vorlage.refresh_from_db()
    assert vorlage.status == "erledigt"
