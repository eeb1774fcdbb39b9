"""The content writes of the services on conftest's `world`, each a function of the world: what a frozen or
signed agreement must refuse. Shared by the immutability tests (signed agreements, every path) and the locking
tests (a write on an instance read before the text was agreed).

Each write is made by the user who may make it while the text is open (issue 12, "the pen"): the working text
(header, sections, goals) by an editor of the party "am Zug", a proposal by an editor of the other party,
statements by either. So a refusal these tests see comes from the agreement's state, never from the pen.

Also shared: passing the pen (`pass_pen`), and the entry lists' tests of who writes the working text
(`PenEntryListTests`, used by test_goals.py and test_offers.py).
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from agreements.services import agreements as agreement_svc
from agreements.services import goals as goal_svc
from agreements.services import negotiation
from agreements.services import versions as version_svc

from . import entry_flow
from .builders_confirm import CONFIRMED
from .factories import make_user

GOAL = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Neues Ziel", "direction": "senkung"}


def agreement_data(w):
    return {"title": "Geänderter Titel", "year": 2013, "land": w.ministry, "kommunaler_traeger": w.county,
            "legal_bases": [], "preamble": "neu"}


def pen(w):
    """The world's user who writes the working text now: the editor of the party "am Zug" (Agreement.pen_holder_id;
    in the world the county, until it sends a Fassung)."""
    return w.users.editor if w.agreement.pen_holder_id() == w.county.pk else w.users.ministry


def proposer(w):
    """The world's user of the party without the pen: it brings in proposals."""
    return w.users.ministry if pen(w) == w.users.editor else w.users.editor


CONTENT_WRITES = {
    "update_agreement": lambda w: agreement_svc.update_agreement(
        user=pen(w), agreement=w.agreement, data=agreement_data(w), lock_version=w.agreement.lock_version),
    "save_section (new)": lambda w: agreement_svc.save_section(
        user=pen(w), agreement=w.agreement, data={"heading": "§ 9 Neu", "text": "neu"}),
    "save_section (edit)": lambda w: agreement_svc.save_section(
        user=pen(w), agreement=w.agreement, data={"heading": "§ 1 Neu", "text": "neu"}, section=w.section,
        lock_version=w.section.lock_version),
    "delete_section": lambda w: agreement_svc.delete_section(user=pen(w), section=w.section),
    "reorder (sections)": lambda w: agreement_svc.reorder(
        user=pen(w), agreement=w.agreement, queryset=w.agreement.sections.all(), obj=w.section,
        direction="down"),
    "save_goal (edit)": lambda w: goal_svc.save_goal(
        user=pen(w), agreement=w.agreement, data={**GOAL, "title": "Anders"}, goal=w.goal,
        lock_version=w.goal.lock_version),
    # Proposals and statements change (or may become part of) the text.
    "create_proposal": lambda w: negotiation.create_proposal(
        user=proposer(w), agreement=w.agreement, data={"text": "Ziel 1 streichen", "goal": w.goal}),
    "create_statement": lambda w: negotiation.create_statement(
        user=w.users.editor, agreement=w.agreement, data={
            "party": w.liga, "date": datetime.date(2013, 5, 1), "title": "Nachgereicht", "text": "",
            "include_as_annex": True}),
    "update_statement": lambda w: negotiation.update_statement(
        user=w.users.ministry, statement=w.statement, lock_version=w.statement.lock_version, data={
            "party": w.liga, "date": w.statement.date, "title": w.statement.title, "text": "anders",
            "include_as_annex": True}),
}


def pass_pen(w, note=""):
    """The county, "am Zug" in the world, sends its working text as Fassung 2: the pen passes to the ministry.
    Returns the Fassung; the world's agreement is re-read."""
    version = version_svc.send_draft(user=w.users.editor, agreement=w.agreement, note=note)
    w.agreement.refresh_from_db()
    return version


def pen_refusal(party):
    """The start of the sentence that refuses a write of the working text to everybody but `party`'s editors."""
    return f"Am Zug ist {party.name}: nur diese Stelle bearbeitet den Arbeitsstand"


def messages_of(response):
    return [str(msg) for msg in get_messages(response.wsgi_request)]


def assert_sent_back_to(response, tab, party):
    """A page refused a write because `party` holds the pen: back to the tab, with the reason."""
    assert response.status_code == 302
    assert response["Location"].startswith(tab)
    assert any(msg.startswith(pen_refusal(party)) for msg in messages_of(response)), messages_of(response)


# The entry lists (goals, offers) -----------------------------------------------------------------------------------

PEN_HOLDER = "editor"  # the county's editor: the county is "am Zug" in the world
OTHER_PARTY = "ministry"  # an editor of a party, but not "am Zug": sent back to the tab, with the reason


class PenEntryListTests(entry_flow.EntryListTests):
    """entry_flow.EntryListTests under the pen (issue 12): only an editor of the party "am Zug" adds, edits,
    deletes and moves entries, and sees the buttons for it; the other party's editor is sent back to the tab with
    "Am Zug ist …" and changes nothing, on GET and POST. Outsiders, readers and the admin are refused as before.

    EntryListTests asks `writers` and `outcome` who writes; every role is still tried."""

    writers = (PEN_HOLDER,)

    def outcome(self, world, response, role):
        """True for the pen holder; for the others the refusal is checked and False returned."""
        if role == PEN_HOLDER:
            return True
        if role == OTHER_PARTY:
            assert_sent_back_to(response, self.entries.urls(world)["tab"], world.county)
        else:
            entry_flow.assert_refused(response, role)
        return False

    def second_writer(self, world):
        """Only the party "am Zug" writes, so two of its editors are the ones who can collide."""
        return make_user("colleague", world.county)

    def before_history_edit(self, world, role):
        """A user of the ministry writes once the county passed it the pen."""
        if role == OTHER_PARTY:
            pass_pen(world)

    @pytest.mark.parametrize("view", ["add", "edit", "delete", "up", "down"])
    def test_it_moves_the_writing_with_the_pen(self, world, login, view):
        """Once the county sent its Fassung, the ministry is "am Zug": now it writes and sees the buttons, and the
        county is sent back with "Am Zug ist <Ministerium> …"."""
        entries = self.entries
        first, second = entries.entry(world), entries.second(world)
        pass_pen(world)
        county, ministry = login(world.users.editor), Client()
        ministry.force_login(world.users.ministry)
        urls = entries.urls(world, second if view == "up" else first)
        tab = entries.urls(world)["tab"]
        assert urls["add"] in ministry.get(tab).content.decode()
        assert urls["add"] not in county.get(tab).content.decode()

        def post(client, title):
            data = entries.data(world, title=title, lock_version=entries.model.objects.get(pk=first.pk).lock_version)
            return client.post(urls[view], {**data, **CONFIRMED} if view == "delete" else data)

        before = entries.snapshot(world.agreement)
        assert_sent_back_to(post(county, "Vom Kreis"), tab, world.ministry)
        assert entries.snapshot(world.agreement) == before
        response = post(ministry, "Vom Ministerium")
        assert response.status_code == 302 and response["Location"].startswith(tab)
        assert entries.snapshot(world.agreement) != before
        pks = list(entries.model.objects.filter(agreement=world.agreement).order_by("order", "id")
                   .values_list("pk", flat=True))
        if view == "add":
            assert entries.model.objects.filter(agreement=world.agreement, title="Vom Ministerium").exists()
        elif view == "edit":
            assert entries.model.objects.get(pk=first.pk).title == "Vom Ministerium"
        elif view == "delete":
            assert first.pk not in pks
        else:
            assert pks == [second.pk, first.pk]
