"""A tab of an agreement with forms to add and edit its records (statements, timeline, proposals): its URLs,
the permission test per role, and the checks every such form passes (bad input, conflicts, escaping)."""

import pytest
from django.urls import reverse

from .factories import READ, ROLES, WRITE_GET, WRITE_POST, assert_status

MARKUP = '<script>alert("x")</script>'


def agreement_url(name, record=None):
    """The URL `name` of the world's agreement as a function of the world; with `record` (world -> its record of
    the tab) also of that record, or of the one passed: url(world) or url(world, other)."""

    def url(world, obj=None):
        args = [world.agreement.pk]
        if record is not None:
            args.append((obj or record(world)).pk)
        return reverse(name, args=args)

    return url


def shows_the_tab_per_role(tab_url):
    """The test that the tab answers every role as READ says; bound as `test_it_shows_the_tab_per_role`."""

    @pytest.mark.parametrize("role", ROLES)
    def test(world, login, role):
        assert_status(login(getattr(world.users, role)).get(tab_url(world)), READ[role])

    return test


def assert_form_per_role(client, role, url, data, get=WRITE_GET, post=WRITE_POST):
    """The form at `url` answers a GET and a POST of `data` by `role` as the tables `get` and `post` say."""
    assert_status(client.get(url), get[role])
    assert_status(client.post(url, data), post[role])


def assert_refused_input(client, url, data, model):
    """The form comes back with its errors and no record of `model` is added."""
    before = model.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].errors
    assert model.objects.count() == before


def assert_conflict(client, url, edit_data, record, field):
    """An edit sent over a newer version (`edit_data(**changes)` reads the record's lock version) shows a
    conflict (409) and keeps the newer `field`."""
    stale = edit_data(**{field: "meine Fassung"})
    assert client.post(url, edit_data(**{field: "erste Fassung"})).status_code == 302
    assert client.post(url, stale).status_code == 409
    record.refresh_from_db()
    assert getattr(record, field) == "erste Fassung"


def assert_stores_markup_as_text(client, add_url, data, stored, tab_url):
    """`data` carrying MARKUP is stored as it came (`stored` finds it) and the tab shows it escaped."""
    client.post(add_url, data)
    assert stored.exists()
    body = client.get(tab_url).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
