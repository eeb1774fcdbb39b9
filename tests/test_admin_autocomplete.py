"""The admin's autocomplete fields with a value that is no key of the related model (a tampered POST: `party=party`).

Django's autocomplete widget shows the submitted value again by filtering the related objects by it; a value the
key cannot hold raised ValueError there, so the form that should have shown its error answered 500.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from agreements import models as m


def label(model):
    return model._meta.label


def _has_autocomplete(model_admin):
    return bool(model_admin.autocomplete_fields) or any(inline.autocomplete_fields for inline in model_admin.inlines)


WITH_AUTOCOMPLETE = sorted(
    (model for model, model_admin in admin.site._registry.items() if _has_autocomplete(model_admin)), key=label)


@pytest.fixture
def kreis(db):
    return m.Party.objects.create(key="kreis-me", name="Kreis Mettmann", kind=m.Party.Kind.KREIS)


def test_it_shows_a_new_department_with_a_party_that_is_no_key_again_with_the_error(admin_client, kreis):
    response = admin_client.post(
        reverse("admin:agreements_department_add"), {"party": "party", "number": "50", "name": "Sozialamt"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["party"]
    assert not m.Department.objects.exists()


def test_it_shows_a_changed_department_with_a_party_that_is_no_key_again_with_the_error(admin_client, kreis):
    department = m.Department.objects.create(party=kreis, number="50", name="Sozialamt")
    url = reverse("admin:agreements_department_change", args=[department.pk])
    assert f'<option value="{kreis.pk}" selected>' in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"party": "1e3", "number": "51", "name": "Sozialamt"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["party"]
    department.refresh_from_db()
    assert (department.party, department.number) == (kreis, "50")


def test_it_checks_the_admins_with_autocomplete_fields():
    assert m.Department in WITH_AUTOCOMPLETE and m.Agreement in WITH_AUTOCOMPLETE


@pytest.mark.parametrize("model", WITH_AUTOCOMPLETE, ids=label)
def test_every_autocomplete_field_shows_a_value_that_is_no_key_as_nothing_chosen(rf, admin_user, model):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    inlines = [inline_class(model, admin.site) for inline_class in model_admin.inlines]
    forms = [(model_admin, model_admin.get_form(request))]
    forms += [(inline, inline.get_formset(request).form) for inline in inlines]

    checked = []
    for owner, form in forms:
        for name in owner.get_autocomplete_fields(request):
            if name not in form.base_fields:
                continue
            widget = form.base_fields[name].widget
            multiple = getattr(widget, "widget", widget).allow_multiple_selected
            html = widget.render(name, ["party", "1e3"] if multiple else "party")
            assert f'name="{name}"' in html and "selected" not in html
            checked.append(f"{type(owner).__name__}.{name}")
    assert checked
