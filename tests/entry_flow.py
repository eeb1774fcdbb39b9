"""The tests of one flow, shared by the lists that use it: goals (test_goals.py) and support offers (test_offers.py).

The views add, edit, delete and move both kinds of entry through one flow (agreements/views/goals.py,
`ItemList`); so the tests of who may do what, and of a frozen agreement, are written once here. Each test
module describes its list in an `EntryList` and binds the tests under its own names, e.g.
`test_it_guards_adding_a_goal = entry_flow.guards_adding(GOALS)`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from agreements import models as m

from .factories import ROLES

WRITERS = ("editor", "ministry")
# Refused writers: (role, status). Outsiders and committee members do not learn that the agreement exists.
REFUSED = {"outsider": 404, "reader": 403, "committee": 404, "admin": 403}


@dataclass(frozen=True)
class EntryList:
    name: str  # "goal": the URL names goal_add, goal_edit, …
    tab: str  # the tab's URL name
    model: type
    entry: Callable  # world -> the world's entry of this list
    data: Callable  # (world, **overrides) -> a valid form
    snapshot: Callable  # agreement -> what must not change when a write is refused
    second: Callable  # world -> a second entry, after the first in its group
    foreign: Callable  # world -> an entry of another agreement, titled "Fremd…"
    writer: str  # the role that writes in the frozen tests

    def urls(self, world, entry=None):
        pk, entry_pk = world.agreement.pk, (entry or self.entry(world)).pk
        return {
            "tab": reverse(self.tab, args=[pk]),
            "add": reverse(f"{self.name}_add", args=[pk]),
            "edit": reverse(f"{self.name}_edit", args=[pk, entry_pk]),
            "delete": reverse(f"{self.name}_delete", args=[pk, entry_pk]),
            "up": reverse(f"{self.name}_move", args=[pk, entry_pk, "up"]),
            "down": reverse(f"{self.name}_move", args=[pk, entry_pk, "down"]),
        }


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def assert_refused(response, role):
    """A role that may not write: anonymous users go to the login page, the others get REFUSED[role]."""
    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == REFUSED[role]


def reaches_the_tab(response, role):
    """Whether the role reached the tab: anonymous users go to the login page, outsiders and committee members
    get 404 (they do not learn that the agreement exists); every party member reaches it."""
    if role == "anonymous":
        assert_login_redirect(response)
        return False
    if role in ("outsider", "committee"):
        assert response.status_code == 404
        return False
    return True


def refuses_other_methods_on_the_tab(entries):
    @pytest.mark.parametrize("role", ROLES)
    def test(world, login, role):
        response = login(getattr(world.users, role)).post(entries.urls(world)["tab"])
        if reaches_the_tab(response, role):
            assert response.status_code == 405

    return test


def guards_the_forms_on_get(entries):
    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("view", ["add", "edit"])
    def test(world, login, role, view):
        response = login(getattr(world.users, role)).get(entries.urls(world)[view])
        if role in WRITERS:
            assert response.status_code == 200
            assert response.content.decode().count("<h1") == 1
        else:
            assert_refused(response, role)

    return test


def guards_the_actions_on_get(entries):
    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("view", ["delete", "up", "down"])
    def test(world, login, role, view):
        before = entries.snapshot(world.agreement)
        response = login(getattr(world.users, role)).get(entries.urls(world)[view])
        if role in WRITERS:
            assert response.status_code == 405
        else:
            assert_refused(response, role)
        assert entries.snapshot(world.agreement) == before

    return test


def guards_adding(entries):
    @pytest.mark.parametrize("role", ROLES)
    def test(world, login, role):
        count = entries.model.objects.count()
        response = login(getattr(world.users, role)).post(entries.urls(world)["add"], entries.data(world))
        if role in WRITERS:
            assert response.status_code == 302
            assert response["Location"].startswith(entries.urls(world)["tab"])
            assert entries.model.objects.count() == count + 1
            return
        assert_refused(response, role)
        assert entries.model.objects.count() == count

    return test


def guards_editing(entries):
    @pytest.mark.parametrize("role", ROLES)
    def test(world, login, role):
        entry = entries.entry(world)
        title = entry.title
        data = entries.data(world, title="Neuer Titel", lock_version=entry.lock_version)
        response = login(getattr(world.users, role)).post(entries.urls(world)["edit"], data)
        entry.refresh_from_db()
        if role in WRITERS:
            assert response.status_code == 302
            assert entry.title == "Neuer Titel"
            return
        assert_refused(response, role)
        assert entry.title == title

    return test


def guards_deleting(entries):
    @pytest.mark.parametrize("role", ROLES)
    def test(world, login, role):
        response = login(getattr(world.users, role)).post(entries.urls(world)["delete"])
        exists = entries.model.objects.filter(pk=entries.entry(world).pk).exists()
        if role in WRITERS:
            assert response.status_code == 302
            assert not exists
            return
        assert_refused(response, role)
        assert exists

    return test


def guards_moving(entries):
    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("direction", ["up", "down"])
    def test(world, login, role, direction):
        first, second = entries.entry(world), entries.second(world)
        moved = second if direction == "up" else first
        response = login(getattr(world.users, role)).post(entries.urls(world, moved)[direction])
        order = list(entries.model.objects.filter(agreement=world.agreement).order_by("order", "id")
                     .values_list("pk", flat=True))
        if role in WRITERS:
            assert response.status_code == 302
            assert order == [second.pk, first.pk]
            return
        assert_refused(response, role)
        assert order == [first.pk, second.pk]

    return test


def hides_an_entry_of_another_agreement(entries):
    @pytest.mark.parametrize("role", WRITERS)
    @pytest.mark.parametrize("view", ["edit", "delete", "up", "down"])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test(world, login, role, view, method):
        foreign = entries.foreign(world)
        title = foreign.title
        client = login(getattr(world.users, role))
        response = getattr(client, method)(entries.urls(world, foreign)[view],
                                           entries.data(world, lock_version=foreign.lock_version))
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.title == title

    return test


# Frozen agreements -----------------------------------------------------------------------------------------------


def freeze(world):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    return world


def sends_frozen_forms_back_to_the_tab(entries):
    @pytest.mark.parametrize("view", ["add", "edit"])
    def test(world, login, view):
        frozen = freeze(world)
        response = login(getattr(frozen.users, entries.writer)).get(entries.urls(frozen)[view], follow=True)
        assert response.redirect_chain[-1][0] == entries.urls(frozen)["tab"]
        body = response.content.decode()
        assert "abgestimmt" in body and "alert-danger" in body
        assert entries.urls(frozen)["add"] not in body

    return test


def changes_nothing_on_a_frozen_agreement(entries):
    @pytest.mark.parametrize("view", ["add", "edit", "delete", "up", "down"])
    def test(world, login, view):
        frozen = freeze(world)
        entries.second(frozen)
        before = entries.snapshot(frozen.agreement)
        data = entries.data(frozen, title="Zu spät", lock_version=entries.entry(frozen).lock_version)
        response = login(getattr(frozen.users, entries.writer)).post(entries.urls(frozen)[view], data, follow=True)
        assert response.status_code == 200
        assert "kann nicht mehr bearbeitet werden" in response.content.decode()
        assert entries.snapshot(frozen.agreement) == before

    return test
