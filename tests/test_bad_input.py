"""Ids the database cannot hold: a clear form error on SQLite as on PostgreSQL, never a 500, nothing written.

SQLite's driver raises OverflowError for integers beyond 64 bits; Django maps that to "no row" for comparisons
but not for `__in`, which every multiple-choice field uses (agreements/models/lookups.py).
"""

import pytest
from django.urls import reverse

from agreements import models as m

pytestmark = pytest.mark.django_db

TOO_BIG = "99999999999999999999999999"


def agreement_data(world, **extra):
    data = {"title": "Zielvereinbarung 2014", "year": "2014", "land": world.ministry.pk,
            "kommunaler_traeger": world.county.pk}
    data.update(extra)
    return data


@pytest.mark.parametrize("value", [TOO_BIG, "-" + TOO_BIG, str(2**63)])
def test_it_answers_an_unknown_legal_basis_with_a_form_error_on_create(world, login, value):
    before = m.Agreement.objects.count()
    response = login(world.users.editor).post(reverse("agreement_create"),
                                              agreement_data(world, legal_bases=[value]))
    assert response.status_code == 200
    assert "legal_bases" in response.context["form"].errors
    assert m.Agreement.objects.count() == before


def test_it_answers_an_unknown_legal_basis_with_a_form_error_on_edit(world, login):
    world.agreement.refresh_from_db()
    response = login(world.users.editor).post(
        reverse("agreement_edit", args=[world.agreement.pk]),
        agreement_data(world, legal_bases=[TOO_BIG], lock_version=world.agreement.lock_version),
    )
    assert response.status_code == 200
    assert "legal_bases" in response.context["form"].errors
    world.agreement.refresh_from_db()
    assert world.agreement.title != "Zielvereinbarung 2014"


def test_it_answers_unknown_participants_with_a_form_error(world, login):
    before = m.ProcedureStep.objects.count()
    response = login(world.users.editor).post(
        reverse("step_add", args=[world.agreement.pk]),
        {"kind": "gespraech", "date": "2013-01-10", "title": "Gespräch", "participants": [TOO_BIG]},
    )
    assert response.status_code == 200
    assert "participants" in response.context["form"].errors
    assert m.ProcedureStep.objects.count() == before


def test_it_answers_an_unknown_choice_with_a_form_error(world, login):
    response = login(world.users.editor).post(reverse("agreement_create"),
                                              agreement_data(world, kommunaler_traeger=TOO_BIG))
    assert response.status_code == 200
    assert "kommunaler_traeger" in response.context["form"].errors


@pytest.mark.parametrize("name", ["agreement_detail", "agreement_edit", "agreement_timeline"])
def test_it_answers_an_id_too_big_for_the_database_in_the_address_with_404(world, login, name):
    response = login(world.users.editor).get(reverse(name, args=[int(TOO_BIG)]))
    assert response.status_code == 404


def test_in_lookups_keep_the_values_the_column_can_hold(world):
    found = m.Party.objects.filter(pk__in=[int(TOO_BIG), world.county.pk, -int(TOO_BIG)])
    assert list(found) == [world.county]
    assert not m.Party.objects.filter(pk__in=[int(TOO_BIG)]).exists()
    assert m.Party.objects.exclude(pk__in=[int(TOO_BIG)]).count() == m.Party.objects.count()


@pytest.mark.parametrize("confirm", [False, True], ids=["asked", "confirmed"])
def test_it_answers_an_unknown_signatory_with_a_form_error_before_and_in_the_confirmation(world, login, confirm):
    """Signing asks first (views.base.ask_first): an id the database cannot hold is a form error on the form's
    POST and on the confirming one, whose hidden values could have been changed."""
    from .builders_confirm import confirmed

    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    data = {"person": TOO_BIG, "date": "2013-04-02", "place": "Mettmann"}
    response = login(world.users.editor).post(reverse("agreement_sign", args=[world.agreement.pk]),
                                              confirmed(data) if confirm else data)
    assert response.status_code == 200
    assert "person" in response.context["form"].errors
    assert not m.Signature.objects.exists()
