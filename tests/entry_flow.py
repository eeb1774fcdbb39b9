"""The tests of one flow, shared by the lists that use it: goals (test_goals.py) and support offers (test_offers.py).

The views add, edit, delete and move both kinds of entry through one flow (agreements/views/goals.py,
`ItemList`); so the tests of who may do what, of a conflict, of escaping, of the history and of a frozen agreement
are written once here, in `EntryListTests`. Each test module describes its list in an `EntryList` and runs the
tests on it with a subclass, e.g. `class TestGoalList(entry_flow.EntryListTests): entries = GOALS`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from agreements import models as m

from .builders_confirm import CONFIRMED, is_confirmation
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
    on_tab: tuple  # what the tab shows of the world's entry
    unchanged: tuple  # (label, data): a field two conflicting edits both send as stored, so it shows unchanged
    history_edit: tuple  # (role, changes): an edit whose author and values the entry's history records

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


def assert_refuses_bad_input(entries, world, client, view, data, fields):
    """A bad form comes back with an error on each of `fields` (None: the form's own) and changes nothing."""
    before = entries.snapshot(world.agreement)
    response = client.post(entries.urls(world)[view], data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in fields:
        assert (field or "__all__") in errors, errors
    assert entries.snapshot(world.agreement) == before
    return response


# Frozen agreements -----------------------------------------------------------------------------------------------


def freeze(world):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    return world


class EntryListTests:
    """The tests every list of entries passes; a subclass names its list in `entries`."""

    entries: EntryList
    writers = WRITERS  # the roles that write the entries

    def outcome(self, world, response, role):
        """True for a role that writes; for the others the refusal is checked and False returned."""
        if role in self.writers:
            return True
        assert_refused(response, role)
        return False

    # Permissions -----------------------------------------------------------------------------------------------

    def tab_as(self, world, login, role, method="get"):
        """The tab's answer to `method` for a role that reaches it; None for the others (checked on the way)."""
        response = getattr(login(getattr(world.users, role)), method)(self.entries.urls(world)["tab"])
        return response if reaches_the_tab(response, role) else None

    @pytest.mark.parametrize("role", ROLES)
    def test_it_shows_the_tab_to_readers_only(self, world, login, role):
        if response := self.tab_as(world, login, role):
            assert response.status_code == 200
            body = response.content.decode()
            for text in self.entries.on_tab:
                assert text in body

    @pytest.mark.parametrize("role", ROLES)
    def test_it_offers_edit_buttons_to_writers_only(self, world, login, role):
        if response := self.tab_as(world, login, role):
            body = response.content.decode()
            assert (self.entries.urls(world)["add"] in body) == (role in self.writers)
            assert (self.entries.urls(world)["delete"] in body) == (role in self.writers)

    @pytest.mark.parametrize("role", ROLES)
    def test_it_refuses_other_methods_on_the_tab(self, world, login, role):
        if response := self.tab_as(world, login, role, method="post"):
            assert response.status_code == 405

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("view", ["add", "edit"])
    def test_it_guards_the_forms_on_get(self, world, login, role, view):
        response = login(getattr(world.users, role)).get(self.entries.urls(world)[view])
        if self.outcome(world, response, role):
            assert response.status_code == 200
            assert response.content.decode().count("<h1") == 1

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("view", ["delete", "up", "down"])
    def test_it_guards_the_actions_on_get(self, world, login, role, view):
        """The actions take POST only; that is checked before who may write (so every editor gets 405)."""
        entries = self.entries
        before = entries.snapshot(world.agreement)
        response = login(getattr(world.users, role)).get(entries.urls(world)[view])
        if role in WRITERS:
            assert response.status_code == 405
        else:
            assert_refused(response, role)
        assert entries.snapshot(world.agreement) == before

    @pytest.mark.parametrize("role", ROLES)
    def test_it_guards_adding(self, world, login, role):
        entries = self.entries
        count = entries.model.objects.count()
        response = login(getattr(world.users, role)).post(entries.urls(world)["add"], entries.data(world))
        if self.outcome(world, response, role):
            assert response.status_code == 302
            assert response["Location"].startswith(entries.urls(world)["tab"])
            assert entries.model.objects.count() == count + 1
            return
        assert entries.model.objects.count() == count

    @pytest.mark.parametrize("role", ROLES)
    def test_it_guards_editing(self, world, login, role):
        entries = self.entries
        entry = entries.entry(world)
        title = entry.title
        data = entries.data(world, title="Neuer Titel", lock_version=entry.lock_version)
        response = login(getattr(world.users, role)).post(entries.urls(world)["edit"], data)
        entry.refresh_from_db()
        if self.outcome(world, response, role):
            assert response.status_code == 302
            assert entry.title == "Neuer Titel"
            return
        assert entry.title == title

    @pytest.mark.parametrize("role", ROLES)
    def test_it_guards_deleting(self, world, login, role):
        """Deleting asks first (tests/test_confirm.py): the button's POST gets the question and the confirming one
        deletes; whoever may not delete is refused on both, never asked."""
        entries = self.entries
        client = login(getattr(world.users, role))
        url, pk = entries.urls(world)["delete"], entries.entry(world).pk
        for data in ({}, CONFIRMED):
            response = client.post(url, data)
            exists = entries.model.objects.filter(pk=pk).exists()
            if self.outcome(world, response, role):
                assert response.status_code == 302 if data else is_confirmation(response)
                assert exists != bool(data)
            else:
                assert exists

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("direction", ["up", "down"])
    def test_it_guards_moving(self, world, login, role, direction):
        entries = self.entries
        first, second = entries.entry(world), entries.second(world)
        moved = second if direction == "up" else first
        response = login(getattr(world.users, role)).post(entries.urls(world, moved)[direction])
        order = list(entries.model.objects.filter(agreement=world.agreement).order_by("order", "id")
                     .values_list("pk", flat=True))
        if self.outcome(world, response, role):
            assert response.status_code == 302
            assert order == [second.pk, first.pk]
            return
        assert order == [first.pk, second.pk]

    @pytest.mark.parametrize("role", WRITERS)
    @pytest.mark.parametrize("view", ["edit", "delete", "up", "down"])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_it_hides_an_entry_of_another_agreement(self, world, login, role, view, method):
        entries = self.entries
        foreign = entries.foreign(world)
        title = foreign.title
        client = login(getattr(world.users, role))
        response = getattr(client, method)(entries.urls(world, foreign)[view],
                                           entries.data(world, lock_version=foreign.lock_version))
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.title == title

    # Input, conflicts, history ---------------------------------------------------------------------------------

    def test_it_stores_markup_as_text_and_escapes_it(self, world, login):
        entries = self.entries
        client = login(world.users.editor)
        payload = "<script>alert(1)</script>"
        response = client.post(entries.urls(world)["add"],
                               entries.data(world, title=payload, text=f"Text {payload}"))
        assert response.status_code == 302
        assert entries.model.objects.filter(title=payload, text=f"Text {payload}").exists()
        body = client.get(entries.urls(world)["tab"]).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<script>alert" not in body

    def second_writer(self, world):
        """Another user who may write the same entries as world.users.editor."""
        return world.users.ministry

    def before_history_edit(self, world, role):
        """What has to happen before `role` may edit the entry (nothing here)."""

    def test_it_shows_a_conflict_instead_of_overwriting(self, world, login):
        entries = self.entries
        label, same = entries.unchanged
        first = login(world.users.editor)
        second = Client()
        second.force_login(self.second_writer(world))
        url = entries.urls(world)["edit"]
        lock_first = first.get(url).context["form"].initial["lock_version"]
        lock_second = second.get(url).context["form"].initial["lock_version"]
        assert lock_first == lock_second

        response = first.post(url, entries.data(world, title="Erste Änderung", lock_version=lock_first, **same))
        assert response.status_code == 302
        response = second.post(url, entries.data(world, title="Zweite Änderung", lock_version=lock_second,
                                                      **same))
        assert response.status_code == 409
        assert "Bearbeitungskonflikt" in response.content.decode()
        rows = {str(row["label"]): row for row in response.context["rows"]}
        assert rows["Titel"]["changed"]
        assert rows["Titel"]["theirs"] == "Erste Änderung"
        assert not rows[label]["changed"]
        entry = entries.entry(world)
        entry.refresh_from_db()
        assert entry.title == "Erste Änderung"

    def test_it_records_who_changed_an_entry(self, world, login):
        entries = self.entries
        role, changes = entries.history_edit
        self.before_history_edit(world, role)
        entry = entries.entry(world)
        entry.refresh_from_db()
        response = login(getattr(world.users, role)).post(
            entries.urls(world)["edit"], entries.data(world, lock_version=entry.lock_version, **changes))
        assert response.status_code == 302
        record = entry.history.first()
        assert record.history_type == "~"
        assert record.history_user == getattr(world.users, role)
        for field, value in changes.items():
            assert getattr(record, field) == value

    # Frozen agreements -----------------------------------------------------------------------------------------

    @pytest.mark.parametrize("view", ["add", "edit"])
    def test_it_sends_frozen_forms_back_to_the_tab(self, world, login, view):
        entries = self.entries
        frozen = freeze(world)
        response = login(getattr(frozen.users, entries.writer)).get(entries.urls(frozen)[view], follow=True)
        assert response.redirect_chain[-1][0] == entries.urls(frozen)["tab"]
        body = response.content.decode()
        assert "abgestimmt" in body and "alert-danger" in body
        assert entries.urls(frozen)["add"] not in body

    @pytest.mark.parametrize("view", ["add", "edit", "delete", "up", "down"])
    def test_it_changes_nothing_on_a_frozen_agreement(self, world, login, view):
        entries = self.entries
        frozen = freeze(world)
        entries.second(frozen)
        before = entries.snapshot(frozen.agreement)
        data = entries.data(frozen, title="Zu spät", lock_version=entries.entry(frozen).lock_version)
        response = login(getattr(frozen.users, entries.writer)).post(entries.urls(frozen)[view], data, follow=True)
        assert response.status_code == 200
        assert "kann nicht mehr bearbeitet werden" in response.content.decode()
        assert entries.snapshot(frozen.agreement) == before
