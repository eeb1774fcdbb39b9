"""The "Fristen" tab of an agreement, its forms and buttons, and what the start page and the navigation show as due
("Fällig", "Am Zug" with a count): per role, bad input, conflicts, fixed query counts, links that work."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from agreements import models as m
from agreements.services import deadlines

from . import builders_tabs as tabs
from .builders_confirm import confirmed, is_confirmation
from .builders_queries import assert_fixed_queries, count_queries
from .factories import ROLES, WRITE_GET, assert_status

pytestmark = pytest.mark.django_db

TOO_BIG = "99999999999999999999999999"
DUE = datetime.date(2026, 6, 8)
tab_url = tabs.agreement_url("agreement_deadlines")
add_url = tabs.agreement_url("deadline_add")


def a_deadline(world, **extra):
    return deadlines.create_deadline(user=world.users.editor, agreement=world.agreement, data={
        "kind": "unterzeichnung", "due": DUE, "owner": world.county, **extra})


def edit_url(world, deadline=None):
    deadline = deadline or world.agreement.deadlines.first()
    return reverse("deadline_edit", args=[world.agreement.pk, deadline.pk])


def close_url(deadline, state="erledigt"):
    return reverse("deadline_close", args=[deadline.agreement_id, deadline.pk, state])


def data(world, **extra):
    return {"kind": "halbjahresbericht", "due": "2026-06-30", "owner": world.county.pk, "note": "", **extra}


test_it_shows_the_tab_per_role = tabs.shows_the_tab_per_role(tab_url)


@pytest.mark.parametrize("role", ROLES)
def test_it_sets_a_deadline_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, add_url(world), data(world))
    made = m.Deadline.objects.filter(kind="halbjahresbericht").count()
    assert made == (1 if role in ("editor", "ministry") else 0)


@pytest.mark.parametrize("role", ROLES)
def test_it_changes_a_deadline_per_role(world, login, role):
    deadline = a_deadline(world)
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, edit_url(world, deadline),
                              data(world, lock_version=deadline.lock_version))


@pytest.mark.parametrize("values, field", [
    ({"kind": "sonstige", "title": ""}, "title"),
    ({"kind": "erfunden"}, "kind"),
    ({"due": "30.13.2026"}, "due"),
    ({"due": ""}, "due"),
    ({"owner": TOO_BIG}, "owner"),
    ({"owner": "other"}, "owner"),
    ({"title": "x" * 201}, "title"),
])
def test_it_answers_bad_input_in_the_form_and_stores_nothing(world, login, values, field):
    if values.get("owner") == "other":
        values = {**values, "owner": world.other_county.pk}
    client = login(world.users.editor)
    tabs.assert_refused_input(client, add_url(world), data(world, **values), m.Deadline)
    response = client.post(add_url(world), data(world, **values))
    assert field in response.context["form"].errors


def test_a_too_long_title_of_an_other_deadline_gets_only_its_own_message(world, login):
    response = login(world.users.editor).post(add_url(world), data(world, kind="sonstige", title="x" * 5000))
    errors = response.context["form"].errors["title"]
    assert len(errors) == 1 and "höchstens 200 Zeichen" in errors[0]
    assert not m.Deadline.objects.filter(kind="sonstige").exists()


def kinds_offered(response):
    return [value for value, _label in response.context["form"].fields["kind"].choices]


def test_a_signed_agreement_is_offered_no_kind_it_is_past_and_takes_none(world, login):
    stale = a_deadline(world, kind="entwurf")  # set while the text was negotiated
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.SIGNED)
    client = login(world.users.editor)
    assert kinds_offered(client.get(add_url(world))) == ["halbjahresbericht", "jahresbericht", "sonstige"]
    for kind in ("entwurf", "unterzeichnung"):
        response = client.post(add_url(world), data(world, kind=kind))
        assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert list(m.Deadline.objects.all()) == [stale]
    # The deadline set before keeps its own kind in its form, and is changed with it; to no other kind it is past.
    url = edit_url(world, stale)
    assert kinds_offered(client.get(url)) == ["entwurf", "halbjahresbericht", "jahresbericht", "sonstige"]
    response = client.post(url, data(world, kind="unterzeichnung", lock_version=stale.lock_version))
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    response = client.post(url, data(world, kind="entwurf", due="2026-06-08", note="überholt",
                                      lock_version=stale.lock_version))
    assert response.status_code == 302
    stale.refresh_from_db()
    assert (stale.kind, stale.note) == ("entwurf", "überholt")


def test_the_same_deadline_twice_is_refused_in_the_form(world, login):
    a_deadline(world, kind="sonstige", title="Referenzwerte senden", due=datetime.date(2026, 6, 30))
    client = login(world.users.editor)
    response = client.post(add_url(world), data(world, kind="sonstige", title="Referenzwerte senden"))
    assert response.status_code == 200
    assert "„Referenzwerte senden“ ist bereits gesetzt" in " ".join(response.context["form"].non_field_errors())
    assert m.Deadline.objects.count() == 1
    assert client.post(add_url(world), data(world, kind="sonstige", title="Bericht anfordern")).status_code == 302


def test_a_stale_form_gets_the_conflict_page(world, login):
    deadline = a_deadline(world)

    def edit_data(**changes):
        return data(world, lock_version=deadline.lock_version, **changes)

    tabs.assert_conflict(login(world.users.editor), edit_url(world, deadline), edit_data, deadline, "note")


def test_a_double_submitted_form_sets_one_deadline(world, login):
    client = login(world.users.editor)
    page = client.get(add_url(world))
    token = page.context["form"]["submission_token"].value()
    for _ in range(2):
        assert client.post(add_url(world), data(world, submission_token=token)).status_code == 302
    assert m.Deadline.objects.count() == 1


def test_markup_is_stored_as_text_and_shown_escaped(world, login):
    tabs.assert_stores_markup_as_text(
        login(world.users.editor), add_url(world), data(world, kind="sonstige", title=tabs.MARKUP),
        m.Deadline.objects.filter(title=tabs.MARKUP), tab_url(world))


def test_closing_asks_first_then_records_it(world, login):
    deadline = a_deadline(world)
    client = login(world.users.ministry)
    assert is_confirmation(client.post(close_url(deadline)))
    deadline.refresh_from_db()
    assert deadline.is_open
    response = client.post(close_url(deadline), confirmed())
    assert response.status_code == 302 and response.url == tab_url(world)
    deadline.refresh_from_db()
    assert deadline.state == "erledigt" and deadline.closed_by == world.users.ministry
    # A closed deadline is neither changed nor closed again: back to the tab with the reason.
    for url in (edit_url(world, deadline), close_url(deadline, "entfallen")):
        response = client.post(url, confirmed(data(world, lock_version=deadline.lock_version)))
        assert response.status_code == 302
    deadline.refresh_from_db()
    assert deadline.state == "erledigt"
    assert "bereits erledigt" in client.get(tab_url(world)).content.decode()


def test_the_buttons_are_shown_by_the_rule_that_allows_them(world, login):
    deadline = a_deadline(world)
    add, edit, close = add_url(world), edit_url(world, deadline), close_url(deadline)
    for role in ("editor", "ministry"):
        page = login(getattr(world.users, role)).get(tab_url(world)).content.decode()
        assert all(escape(url) in page for url in (add, edit, close)), role
    for role in ("reader", "admin"):
        page = login(getattr(world.users, role)).get(tab_url(world)).content.decode()
        assert not any(escape(url) in page for url in (add, edit, close)), role
        assert "Unterzeichnung bis" in page
    # An agreement that is over keeps its deadlines to read, and offers nothing to change.
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.WITHDRAWN)
    client = login(world.users.editor)
    page = client.get(tab_url(world)).content.decode()
    assert not any(escape(url) in page for url in (add, edit, close))
    response = client.get(add)
    assert response.status_code == 302 and response.url == tab_url(world)


def test_the_tab_takes_a_fixed_number_of_queries(world, login):
    def grow(total):
        while world.agreement.deadlines.count() < total:
            a_deadline(world, kind="sonstige", title=f"Frist {world.agreement.deadlines.count()}")
        world.agreement.deadlines.filter(pk=world.agreement.deadlines.first().pk).update(
            state="erledigt", closed_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            closed_by=world.users.editor)

    assert_fixed_queries(login(world.users.editor), tab_url(world), grow, most=16)


# --- The start page and the navigation -------------------------------------------------------------------------------

def at(day):
    return datetime.datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Europe/Berlin"))


def nav_waiting(page):
    nav = re.search(r'<nav class="navbar.*?</nav>', page, re.S).group(0)
    return re.search(r'<a class="nav-link" href="(/#am-zug)">(.*?)</a>', nav, re.S)


def test_the_start_page_and_the_navigation_show_what_is_due(world, login):
    deadline = a_deadline(world)
    with time_machine.travel(at(datetime.date(2026, 6, 9)), tick=False):
        client = login(world.users.editor)
        page = client.get(reverse("dashboard")).content.decode()
        link = nav_waiting(page)
        assert link is not None
        text = " ".join(re.sub("<[^>]+>", " ", link.group(2)).split())
        # The ministry's Fassung to answer, its proposal to decide and the overdue deadline.
        assert text == "Am Zug 3 fällig 1 überschritten"
        assert 'id="am-zug"' in page and "Fällig" in page
        assert escape(deadline.agreement.short_title) in page and "überschritten" in page
        assert f'href="{tab_url(world)}#frist-{deadline.pk}"' in page
        assert client.get(f"{tab_url(world)}").status_code == 200
        # Readers of the county see it too (nothing to act on, but their party's); the other county nothing.
        assert "Unterzeichnung bis" in login(world.users.reader).get(reverse("dashboard")).content.decode()
        other = login(world.users.outsider).get(reverse("dashboard")).content.decode()
        assert "Unterzeichnung bis" not in other
        assert " ".join(re.sub("<[^>]+>", " ", nav_waiting(other).group(2)).split()) == "Am Zug 0 fällig"
        # Neither a committee member nor an admin acts for a party: no "Am Zug" at all.
        for user in (world.users.committee, world.users.admin):
            assert nav_waiting(login(user).get(reverse("dashboard")).content.decode()) is None


def test_every_page_pays_one_query_for_the_navigations_count(world, login):
    client = login(world.users.editor)
    url = reverse("agreement_list")
    before = count_queries(client, url)
    for n in range(5):
        a_deadline(world, kind="sonstige", title=f"Frist {n}", due=datetime.date(2020, 1, 1 + n))
    assert count_queries(client, url) == before


@pytest.mark.parametrize("role", ["editor", "reader", "ministry", "outsider"])
def test_the_start_page_links_only_what_the_user_may_open(world, login, role):
    a_deadline(world)
    m.Proposal.objects.create(agreement=world.agreement, party=world.ministry, text="Noch ein Vorschlag")
    client = login(getattr(world.users, role))
    page = client.get(reverse("dashboard")).content.decode()
    section = page.split('id="am-zug"', 1)[1].split("</section>", 1)[0]
    for href in re.findall(r'href="([^"#]+)', section):
        assert client.get(href).status_code == 200, (role, href)
    assert_status(client.get(add_url(world)), WRITE_GET[role if role != "outsider" else "outsider"])
