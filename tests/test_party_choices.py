"""Which parties and people the forms of one agreement offer (forms/parties.py): the agreement's parties first,
their Jobcenters and the parties that take part everywhere, never the other counties; the user's own party
preselected; the letter's signatory only from the sending party."""

import pytest
from django.urls import reverse

from agreements import models as m
from agreements.forms.documents import LetterForm

from .builders_queries import count_queries
from .factories import PartyFactory, PersonFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(world):
    """The Regionaldirektion (takes part everywhere), a Jobcenter of the other county, and one person per party."""
    rd = m.Party.objects.create(key="rd-nrw", name="Regionaldirektion NRW", short_name="RD NRW",
                                kind=m.Party.Kind.REGIONALDIREKTION)
    other_jobcenter = m.Party.objects.create(key="jobcenter-nachbar", name="Jobcenter Nachbar",
                                             kind=m.Party.Kind.JOBCENTER, parent=world.other_county)
    people = {
        party: PersonFactory(party=party, family_name=f"Person {party.key}")
        for party in (world.ministry, world.county, world.other_county, rd)
    }
    return {"rd": rd, "other_jobcenter": other_jobcenter, "people": people}


def offered(form, name):
    return [party.pk for party in form.fields[name].queryset]


def letter_form(login, world):
    response = login(world.users.editor).get(reverse("letter_add", args=[world.agreement.pk]))
    assert response.status_code == 200
    return response.context["form"]


def letter_data(world, **changes):
    data = {
        "date": "2013-04-02", "direction": "ausgang", "sender": world.county.pk, "recipient": world.ministry.pk,
        "subject": "Unsere Vorschläge", "reference": "", "summary": "",
    }
    data.update(changes)
    return data


# Parties offered per role ----------------------------------------------------------------------------------------


def test_it_offers_the_agreements_parties_first_and_never_other_counties(world, login, cast):
    form = letter_form(login, world)
    for name in ("sender", "recipient"):
        choices = offered(form, name)
        assert set(choices[:2]) == {world.ministry.pk, world.county.pk}, name
        assert world.jobcenter.pk in choices and cast["rd"].pk in choices and world.liga.pk in choices
        assert world.other_county.pk not in choices and cast["other_jobcenter"].pk not in choices


def test_it_offers_the_same_parties_as_provider_and_partner_of_an_offer(world, login, cast):
    url = reverse("offer_add", args=[world.agreement.pk])
    form = login(world.users.editor).get(url).context["form"]
    for name in ("provider", "coordinated_with"):
        choices = offered(form, name)
        assert set(choices[:2]) == {world.ministry.pk, world.county.pk}, name
        assert cast["rd"].pk in choices
        assert world.other_county.pk not in choices and cast["other_jobcenter"].pk not in choices


def test_it_keeps_the_statement_party_choices_for_associations(world, login, cast):
    # A Stellungnahme comes from an association, which is not a party of the agreement: every active party
    # stays selectable there, associations first.
    form = login(world.users.editor).get(reverse("statement_add", args=[world.agreement.pk])).context["form"]
    choices = offered(form, "party")
    assert choices[0] == world.liga.pk and world.other_county.pk in choices


def test_it_keeps_a_party_a_letter_already_names(world, login, cast):
    world.letter.sender = world.other_county
    world.letter.save(update_fields=["sender"])
    url = reverse("letter_edit", args=[world.agreement.pk, world.letter.pk])
    form = login(world.users.editor).get(url).context["form"]
    assert world.other_county.pk in offered(form, "sender")


# Preselection ------------------------------------------------------------------------------------------------------


def test_it_preselects_the_users_party_as_sender_and_the_other_party_as_recipient(world, login, cast):
    form = letter_form(login, world)
    assert (form.initial["sender"], form.initial["recipient"]) == (world.county.pk, world.ministry.pk)
    assert form.initial["direction"] == m.Letter.Direction.OUTGOING
    body = form.as_p()
    assert f'<option value="{world.county.pk}" selected>' in body


def test_it_preselects_nothing_for_a_user_without_a_party_of_the_agreement(world, cast):
    # Only writers reach the form, and a writer acts for a party of the agreement; the form itself does not
    # guess for anyone else (a superuser, member of no party).
    form = LetterForm(agreement=world.agreement, user=world.users.admin)
    assert "sender" not in form.initial and "recipient" not in form.initial
    assert list(form.fields["sender_person"].queryset) == []


def test_it_preselects_no_recipient_in_a_trilateral_agreement(world, login, cast):
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.jobcenter, role="jobcenter", order=2)
    form = letter_form(login, world)
    assert form.initial["sender"] == world.county.pk and form.initial["recipient"] is None


# The signatory -------------------------------------------------------------------------------------------------------


def test_it_offers_only_people_of_the_preselected_sender(world, login, cast):
    form = letter_form(login, world)
    people = list(form.fields["sender_person"].queryset)
    assert people == [cast["people"][world.county]]


def test_it_offers_only_people_of_the_letters_sender_when_editing(world, login, cast):
    url = reverse("letter_edit", args=[world.agreement.pk, world.letter.pk])
    form = login(world.users.editor).get(url).context["form"]
    assert {p.party_id for p in form.fields["sender_person"].queryset} == {world.letter.sender_id}


def test_it_refuses_a_signatory_of_another_party_with_a_message(world, login, cast):
    before = m.Letter.objects.count()
    foreign = cast["people"][world.ministry]  # the ministry's person for the county's letter
    response = login(world.users.editor).post(
        reverse("letter_add", args=[world.agreement.pk]), letter_data(world, sender_person=foreign.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["sender_person"] == ["Die Person gehört nicht zur absendenden Stelle."]
    assert m.Letter.objects.count() == before


def test_it_refuses_a_signatory_of_a_county_outside_the_agreement(world, login, cast):
    before = m.Letter.objects.count()
    neuss = cast["people"][world.other_county]
    response = login(world.users.editor).post(
        reverse("letter_add", args=[world.agreement.pk]),
        letter_data(world, sender=world.ministry.pk, recipient=world.county.pk, sender_person=neuss.pk),
    )
    assert response.status_code == 200
    assert "sender_person" in response.context["form"].errors
    assert m.Letter.objects.count() == before


def test_it_refuses_a_sender_outside_the_agreement(world, login, cast):
    response = login(world.users.editor).post(
        reverse("letter_add", args=[world.agreement.pk]), letter_data(world, sender=world.other_county.pk)
    )
    assert response.status_code == 200
    assert "sender" in response.context["form"].errors


def test_it_records_a_signatory_of_the_sender(world, login, cast):
    own = cast["people"][world.county]
    response = login(world.users.editor).post(
        reverse("letter_add", args=[world.agreement.pk]), letter_data(world, sender_person=own.pk)
    )
    assert response.status_code == 302
    assert m.Letter.objects.filter(agreement=world.agreement, sender_person=own).exists()


# Queries -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["letter_add", "offer_add", "step_add"])
def test_it_renders_the_forms_with_a_fixed_number_of_queries_whatever_the_number_of_parties(world, login, name):
    client = login(world.users.editor)
    url = reverse(name, args=[world.agreement.pk])
    small = count_queries(client, url)
    for _ in range(20):
        county = PartyFactory()
        PartyFactory(kind=m.Party.Kind.JOBCENTER, parent=county)
        PersonFactory(party=county)
        PersonFactory(party=world.county)
    assert count_queries(client, url) == small
