"""The calendar feed (RFC 5545): parsed with the icalendar package, it holds exactly the meetings of the user's
committees and what is due for the user's parties, never another county's; its UIDs are stable; the time zone is
Europe/Berlin; a renewed address ends the old one at once; no login, not cached publicly, a fixed query count."""

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import models as m
from agreements.services import calendar_feed, deadlines

from .builders_confirm import confirmed
from .factories import ROLES, make_user

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def at(year, month, day, hour):
    return datetime.datetime(year, month, day, hour, tzinfo=BERLIN)


HOST = "zielsteuerung.kreis.example"


@pytest.fixture
def feed_world(world, settings):
    """The editor of Kreis Mettmann sits on its Sozialausschuss; Kreis Nachbar has a committee, a meeting, an
    agreement deadline and an editor of its own."""
    settings.SITE_URL = f"https://{HOST}"
    w = world
    m.CommitteeMembership.objects.create(committee=w.committee, user=w.users.editor)
    w.meeting = m.Meeting.objects.create(committee=w.committee, name="Sitzung des Sozialausschusses",
                                         start=at(2031, 5, 20, 15), end=at(2031, 5, 20, 17), location="Kreishaus")
    w.deadline = deadlines.create_deadline(user=w.users.editor, agreement=w.agreement, data={
        "kind": m.Deadline.Kind.HALF_YEAR_REPORT, "due": datetime.date(2031, 6, 30), "owner": w.county})
    other_committee = m.Committee.objects.create(party=w.other_county, name="Sozialausschuss Nachbar")
    w.other_meeting = m.Meeting.objects.create(committee=other_committee, start=at(2031, 5, 21, 15))
    w.other_deadline = deadlines.create_deadline(user=w.users.outsider, agreement=w.other_agreement, data={
        "kind": m.Deadline.Kind.SIGNATURE, "due": datetime.date(2031, 6, 1), "owner": w.other_county})
    return w


def feed_url(user):
    return reverse("calendar_feed", args=[calendar_feed.feed_of(user).token])


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(cal):
    return {str(event["UID"]): event for event in cal.walk("VEVENT")}


def test_it_holds_exactly_the_users_meetings_and_deadlines(feed_world, client):
    w = feed_world
    host = HOST  # the installation's address (SITE_URL), whatever host a client asks
    cal = fetch(client, feed_url(w.users.editor))  # no login: the token is enough

    assert set(events(cal)) == {
        f"meeting-{w.meeting.pk}@{host}",
        f"deadline-{w.deadline.pk}@{host}",
        # The ministry's proposal, decided by the county (am Zug).
        f"deadline-vorschlag-{w.proposal.pk}@{host}",
    }
    meeting = events(cal)[f"meeting-{w.meeting.pk}@{host}"]
    assert meeting["DTSTART"].dt == at(2031, 5, 20, 15) and meeting["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(meeting["SUMMARY"]) == "Sitzung des Sozialausschusses" and str(meeting["LOCATION"]) == "Kreishaus"
    due = events(cal)[f"deadline-{w.deadline.pk}@{host}"]
    assert due["DTSTART"].dt == datetime.date(2031, 6, 30)  # all day: a date, not a time
    assert due["DTEND"].dt == datetime.date(2031, 7, 1)
    assert str(due["SUMMARY"]) == f"Frist: Bericht zum Ende des ersten Halbjahres – {w.agreement.short_title}"
    assert str(due["URL"]).startswith("http://testserver/vereinbarungen/")
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])

    # The other county's editor: its own deadline only (no committee); the committee member: the meeting only.
    assert set(events(fetch(client, feed_url(w.users.outsider)))) == {f"deadline-{w.other_deadline.pk}@{host}"}
    assert set(events(fetch(client, feed_url(w.users.committee)))) == {f"meeting-{w.meeting.pk}@{host}"}
    # The ministry decides nothing here and owns no deadline; its feed is empty but valid.
    assert events(fetch(client, feed_url(w.users.ministry))) == {}


def test_the_uids_stay_the_same_across_fetches_and_changes(feed_world, client):
    w = feed_world
    url = feed_url(w.users.editor)
    first = set(events(fetch(client, url)))
    deadlines.update_deadline(user=w.users.editor, deadline=w.deadline, lock_version=w.deadline.lock_version, data={
        "kind": "halbjahresbericht", "due": datetime.date(2031, 7, 15), "owner": w.county, "note": "verschoben"})
    m.Meeting.objects.filter(pk=w.meeting.pk).update(start=at(2031, 5, 27, 15), end=None)
    second = fetch(client, url)
    assert set(events(second)) == first
    assert events(second)[f"deadline-{w.deadline.pk}@{HOST}"]["DTSTART"].dt == datetime.date(2031, 7, 15)


def test_a_renewed_address_ends_the_old_one_at_once(feed_world, client, login):
    w = feed_world
    old = feed_url(w.users.editor)
    assert client.get(old).status_code == 200
    browser = login(w.users.editor)
    # Renewing asks first; only the confirming POST renews.
    assert browser.post(reverse("calendar_renew")).status_code == 200
    assert client.get(old).status_code == 200
    response = browser.post(reverse("calendar_renew"), confirmed({}))
    assert response.status_code == 302 and response.url == reverse("calendar_settings")
    new = feed_url(w.users.editor)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    page = browser.get(reverse("calendar_settings")).content.decode()
    assert f"http://testserver{new}" in page and old not in page


@pytest.mark.parametrize("token", ["unbekannt", "x" * 64])
def test_an_unknown_token_or_a_closed_account_answers_404(feed_world, client, token):
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 404
    url = feed_url(feed_world.users.editor)
    feed_world.users.editor.is_active = False
    feed_world.users.editor.save()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("path", ["/kalender/" + "x" * 65 + ".ics", "/kalender/a%2Fb.ics", "/kalender/.ics",
                                  "/kalender/<script>.ics"])
def test_it_answers_bad_addresses_with_404(client, path):
    assert client.get(path).status_code == 404


def test_the_feed_is_not_cached_publicly_and_only_read(feed_world, client):
    url = feed_url(feed_world.users.editor)
    response = client.get(url)
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert client.post(url).status_code == 405


def test_the_feed_takes_a_fixed_number_of_queries(feed_world, client):
    w = feed_world
    url = feed_url(w.users.editor)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            fetch(client, url)
        return len(ctx.captured_queries)

    small = count()
    for n in range(10):
        m.Meeting.objects.create(committee=w.committee, start=at(2031, 6, 1 + n, 10))
        deadlines.create_deadline(user=w.users.editor, agreement=w.agreement, data={
            "kind": "sonstige", "title": f"Frist {n}", "due": datetime.date(2031, 7, 1 + n), "owner": w.county})
        m.Proposal.objects.create(agreement=w.agreement, party=w.ministry, text=f"Vorschlag {n}")
    large = count()
    assert small == large, (small, large)
    assert large <= 9


@pytest.mark.parametrize("role", ROLES)
def test_the_calendar_page_per_role(feed_world, login, role):
    user = getattr(feed_world.users, role)
    response = login(user).get(reverse("calendar_settings"))
    if user is None:
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert feed_url(user) in page and "Adresse erneuern" in page
    assert 'for="feed-url"' in page  # the address has a label


def test_the_navigation_links_the_calendar_page(feed_world, login):
    page = login(feed_world.users.reader).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("calendar_settings")}"' in page


def test_it_makes_one_feed_per_user_and_keeps_it(db):
    user = make_user("einzeln")
    first = calendar_feed.feed_of(user)
    assert calendar_feed.feed_of(user).token == first.token
    assert len(first.token) >= 40 and m.CalendarFeed.objects.filter(user=user).count() == 1
