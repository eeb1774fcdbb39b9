"""The committee member's start page (issue 13, point 4): the next meetings of their committees with the papers they
may open, the past ones with papers and results, what is new since the last visit; "Meine Sitzungsunterlagen" and the
past meetings' page read the same meetings (services.meetings), and a meeting is named by committee and date
wherever it is offered or shown ("Sozialausschuss, 21.05.2012")."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from agreements import models as m
from agreements.forms.vorlagen import ConsultationForm
from agreements.services import meetings as meetings_svc
from agreements.services import vorlagen as vorlagen_svc

from .builders_queries import COMMITTEE_PART_QUERIES, count_queries
from .factories import ROLES, aware
from .vorlage_builders import S, make_vorlage, soon, vorlage_world

NOTE = m.Consultation.Role.NOTICE


def today():
    return timezone.localdate()


def at(day, hour=15):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def in_days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def vw(world):
    return vorlage_world(world)


def meeting(vw, day, committee=None, **fields):
    return m.Meeting.objects.create(committee=committee or vw.committee, start=at(day), **fields)


def paper(vw, name, *, on=None, day=None, committee=None, status=S.RELEASED, public=True, released_at=None,
          result=""):
    """A Vorlage with one consultation: at the meeting `on`, or (without a record) on the committee's `day`;
    released (at `released_at`, default now) unless status is DRAFT."""
    vorlage = make_vorlage(vw, name=name, public=public, consultations=0)
    consultation = m.Consultation.objects.create(
        paper=vorlage, committee=committee or vw.committee, meeting=on, role=NOTE, result=result,
        meeting_date=timezone.localdate(on.start) if on is not None else day)
    if status != S.DRAFT:
        m.Vorlage.objects.filter(pk=vorlage.pk).update(status=status, released_at=released_at or timezone.now())
    return vorlage, consultation


def dashboard(login, user):
    response = login(user).get(reverse("dashboard"))
    assert response.status_code == 200
    return response


def section(response):
    return response.context["committee_section"]


def names(committee_meeting):
    return [p.paper.name for p in committee_meeting.papers]


def headings(html, prefix):
    return re.findall(rf'<h\d class="h5 mb-1" id="{prefix}\d+">([^<]*)</h\d>', html)


# --- Who gets the committees' part -----------------------------------------------------------------------------


def test_it_shows_a_committee_member_the_committees_instead_of_agreements(world, login):
    body = dashboard(login, world.users.committee).content.decode()
    assert "Meine Gremien" in body and "Sozialausschuss (Kreis Mettmann)" in body
    assert "Nächste Sitzungen" in body and "Vergangene Sitzungen" in body and "Neu seit Ihrem letzten Besuch" in body
    # Nothing about agreements, and not the note for accounts that belong nowhere.
    assert "keiner Stelle" not in body and "wenden Sie sich an die Verwaltung" not in body
    assert "Meine Zielvereinbarungen" not in body and "Wartet auf meine Stelle" not in body


def test_a_party_member_who_sits_in_a_committee_gets_both_parts(world, login):
    m.CommitteeMembership.objects.create(committee=world.committee, user=world.users.editor)
    response = dashboard(login, world.users.editor)
    body = response.content.decode()
    assert "Meine Zielvereinbarungen" in body and "Wartet auf meine Stelle" in body
    assert "Meine Gremien" in body
    assert [c.name for c in section(response)["committees"]] == ["Sozialausschuss"]


@pytest.mark.parametrize("start, end", [(None, -1), (1, None)])
def test_a_membership_that_is_over_or_not_begun_is_no_committee(world, login, start, end):
    m.CommitteeMembership.objects.filter(user=world.users.committee).update(
        start_date=in_days(start) if start else None, end_date=in_days(end) if end else None)
    response = dashboard(login, world.users.committee)
    assert section(response) is None
    assert "keiner Stelle" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_the_start_page_and_the_past_meetings(vw, login, role):
    past = meeting(vw, in_days(-7))
    paper(vw, "Haushaltsbeschluss", on=past, result=m.Consultation.Result.NOTED)
    user = getattr(vw.users, role)
    for name in ("dashboard", "vorlage_past_meetings", "vorlage_meetings"):
        response = login(user).get(reverse(name))
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
            continue
        assert response.status_code == 200
        body = response.content.decode()
        # Only the member of the Sozialausschuss has its meetings; nobody else learns of them here.
        assert ("Sozialausschuss, " in body) is (role == "committee"), (name, role)
        if name != "vorlage_meetings":  # that page has the coming meetings only
            assert ("Haushaltsbeschluss" in body) is (role == "committee")
    if user is not None:
        assert login(user).post(reverse("vorlage_past_meetings")).status_code == 405


# --- Next meetings: the start page and "Meine Sitzungsunterlagen" agree --------------------------------------------


def test_the_upcoming_meetings_agree_with_meine_sitzungsunterlagen(vw, login):
    upcoming_meeting = meeting(vw, in_days(10), location="Kreishaus Mettmann")
    paper(vw, "Mit Sitzung", on=upcoming_meeting)
    # Only a date in the Beratungsfolge (as the meeting of 15.12.2026 was): a meeting all the same.
    paper(vw, "Nur mit Termin", day=in_days(20))
    # A date on the day of a recorded meeting of the committee belongs to that meeting (vw.meeting, soon()).
    paper(vw, "Termin der Sitzung", day=soon())
    paper(vw, "Entwurf", day=in_days(30), status=S.DRAFT)  # not released: neither paper nor meeting
    paper(vw, "Vorbei", on=meeting(vw, in_days(-10)))
    paper(vw, "Kreisausschuss", on=vw.second_meeting, committee=vw.second_committee, public=False)

    start = dashboard(login, vw.users.committee)
    papers_page = login(vw.users.committee).get(reverse("vorlage_meetings"))
    upcoming, listed = section(start)["upcoming"], papers_page.context["meetings"]
    assert section(start)["upcoming_count"] == len(listed) == 3
    assert [(x.meeting, x.day) for x in upcoming] == [(x.meeting, x.day) for x in listed] == [
        (upcoming_meeting, in_days(10)), (vw.meeting, soon()), (None, in_days(20))]
    assert [names(x) for x in listed] == [["Mit Sitzung"], ["Termin der Sitzung"], ["Nur mit Termin"]]

    body = start.content.decode()
    assert "3 anstehende Sitzungen" in body
    expected = [f"Sozialausschuss, {in_days(10):%d.%m.%Y}, 15:00 Uhr", f"Sozialausschuss, {soon():%d.%m.%Y}, 15:00 Uhr",
                f"Sozialausschuss, {in_days(20):%d.%m.%Y}"]
    assert headings(body, "dash-next-") == expected
    assert headings(papers_page.content.decode(), "meeting-") == expected
    assert "Kreishaus Mettmann" in body and "Uhrzeit und Ort sind noch nicht erfasst" in body
    assert "Vorbei" not in papers_page.content.decode()
    assert [names(x) for x in section(start)["past"]] == [["Vorbei"]]


def test_the_start_page_shows_five_upcoming_meetings_and_counts_all(vw, login):
    for n in range(7):
        meeting(vw, in_days(n + 1))
    response = dashboard(login, vw.users.committee)
    assert len(section(response)["upcoming"]) == 5 and section(response)["upcoming_count"] == 8
    body = response.content.decode()
    assert "8 anstehende Sitzungen" in body and "(hier die nächsten 5)" in body
    assert reverse("vorlage_meetings") in body
    assert len(login(vw.users.committee).get(reverse("vorlage_meetings")).context["meetings"]) == 8


def test_a_meeting_of_today_is_upcoming_until_the_day_is_over(vw, login):
    this_morning = m.Meeting.objects.create(committee=vw.committee, start=at(today(), hour=0))
    assert this_morning.start <= timezone.now()
    assert section(dashboard(login, vw.users.committee))["upcoming"][0].meeting == this_morning


def test_it_lists_the_papers_with_their_downloads(vw, login):
    upcoming_meeting = meeting(vw, in_days(10))
    vorlage, _ = paper(vw, "Mit Anlagen", on=upcoming_meeting)
    body = dashboard(login, vw.users.committee).content.decode()
    for url in (reverse("vorlage_detail", args=[vorlage.pk]), reverse("vorlage_pdf", args=[vorlage.pk]),
                reverse("vorlage_bundle", args=[vorlage.pk]),
                reverse("vorlage_anlage_download", args=[vorlage.pk, vorlage.anlagen.get().pk])):
        assert f'href="{url}"' in body


def test_it_shows_only_papers_the_member_may_open(vw, login):
    upcoming_meeting = meeting(vw, in_days(10))
    mine, _ = paper(vw, "Nichtöffentlich, eigener Ausschuss", on=upcoming_meeting, public=False)
    paper(vw, "Geheimentwurf", on=upcoming_meeting, status=S.DRAFT)
    # On the agenda of the member's meeting, but only in the Beratungsfolge of the Kreisausschuss: not for them.
    hidden, consultation = paper(vw, "Nichtöffentlich, Kreisausschuss", on=vw.second_meeting,
                                 committee=vw.second_committee, public=False)
    m.AgendaItem.objects.create(meeting=upcoming_meeting, number="7", name="Fremd", consultation=consultation)
    response = dashboard(login, vw.users.committee)
    assert names(section(response)["upcoming"][0]) == ["Nichtöffentlich, eigener Ausschuss"]
    body = response.content.decode()
    assert "Geheimentwurf" not in body and reverse("vorlage_detail", args=[hidden.pk]) not in body
    assert login(vw.users.committee).get(reverse("vorlage_detail", args=[mine.pk])).status_code == 200


# --- Past meetings: papers and results -----------------------------------------------------------------------------


def test_it_lists_past_meetings_latest_first_with_papers_and_results(vw, login):
    latest, second, third, fourth = (meeting(vw, in_days(-n)) for n in (1, 30, 60, 90))
    paper(vw, "Beschlossen", on=latest, result=m.Consultation.Result.DECIDED)
    # The agenda item carries the wording of the minutes; the consultation names only the committee and the day.
    _, on_agenda = paper(vw, "Vertagt", day=in_days(-30))
    m.AgendaItem.objects.create(meeting=second, number="4", order=4, name="Vertagt", consultation=on_agenda,
                                result="vertagt auf die nächste Sitzung")
    paper(vw, "Offen", on=third)
    paper(vw, "Viertletzte", on=fourth, result=m.Consultation.Result.NOTED)

    response = dashboard(login, vw.users.committee)
    past = section(response)["past"]
    assert [x.meeting for x in past] == [latest, second, third]
    assert [names(x) for x in past] == [["Beschlossen"], ["Vertagt"], ["Offen"]]
    assert [[p.result for p in x.papers] for x in past] == [["beschlossen"], ["vertagt auf die nächste Sitzung"],
                                                             [""]]
    body = response.content.decode()
    assert "beschlossen" in body and "vertagt auf die nächste Sitzung" in body and "noch kein Ergebnis" in body
    assert headings(body, "dash-past-")[0] == f"Sozialausschuss, {in_days(-1):%d.%m.%Y}, 15:00 Uhr"
    assert f'href="{reverse("vorlage_past_meetings")}"' in body
    assert "Viertletzte" not in body

    all_past = login(vw.users.committee).get(reverse("vorlage_past_meetings"))
    assert [x.meeting for x in all_past.context["meetings"]] == [latest, second, third, fourth]
    assert "zur Kenntnis genommen" in all_past.content.decode()


def test_the_past_meetings_come_page_by_page(vw, login):
    for n in range(12):
        meeting(vw, in_days(-n - 1))
    paper(vw, "Nur mit Termin", day=in_days(-100))
    client = login(vw.users.committee)
    first = client.get(reverse("vorlage_past_meetings"))
    assert len(first.context["meetings"]) == 10 and first.context["page"].paginator.count == 13
    last = client.get(reverse("vorlage_past_meetings") + "?page=2")
    assert [x.day for x in last.context["meetings"]] == [in_days(-11), in_days(-12), in_days(-100)]
    assert names(last.context["meetings"][-1]) == ["Nur mit Termin"]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999", "1.5", "%00", "2" * 500, ""])
def test_a_bad_page_number_gets_a_page_never_an_error(vw, login, value):
    for n in range(12):
        meeting(vw, in_days(-n - 1))
    response = login(vw.users.committee).get(reverse("vorlage_past_meetings"), {"page": value})
    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)


# --- New since the last visit --------------------------------------------------------------------------------------


def test_it_reports_what_is_new_since_the_last_visit(vw, login):
    old_meeting = meeting(vw, in_days(-3))
    _, decided_later = paper(vw, "Schon bekannt", on=old_meeting,
                             released_at=timezone.now() - datetime.timedelta(days=20))
    member = vw.users.committee

    first = dashboard(login, member)
    assert section(first)["since"] is None
    assert "Ab Ihrem nächsten Besuch" in first.content.decode()
    seen = m.StartPageVisit.objects.get(user=member).seen_at

    # Meanwhile: a paper is released for the committee, a result recorded, a paper of another committee released.
    paper(vw, "Neu freigegeben", on=meeting(vw, in_days(5)))
    vorlagen_svc.record_result(user=vw.users.editor, consultation=decided_later,
                               result=m.Consultation.Result.DECIDED)
    paper(vw, "Anderer Ausschuss", on=vw.second_meeting, committee=vw.second_committee, public=False)

    client = login(member)  # a new login: a new visit
    second = client.get(reverse("dashboard"))
    news = section(second)
    assert news["since"] == seen
    assert [v.name for v in news["new_papers"]] == ["Neu freigegeben"]
    assert news["new_results"] == [decided_later]
    body = second.content.decode()
    assert "Ihr letzter Besuch:" in body and "Neu freigegeben" in body and "Anderer Ausschuss" not in body
    assert f"Sozialausschuss, {in_days(-3):%d.%m.%Y}: beschlossen" in body

    # A reload during the same login keeps the comparison: the news do not vanish.
    reload = section(client.get(reverse("dashboard")))
    assert reload["since"] == seen and [v.name for v in reload["new_papers"]] == ["Neu freigegeben"]

    # The next login compares with the last look before it: nothing is new any more.
    third = dashboard(login, member)
    assert section(third)["new_papers"] == [] and section(third)["new_results"] == []
    assert "Seitdem wurden keine Vorlagen Ihrer Gremien freigegeben" in third.content.decode()


def test_a_visit_is_one_login(db):
    user = get_user_model().objects.create_user("mitglied")
    user.last_login = aware(2026, 1, 5, 9)
    t1, t2, t3, t4 = (aware(2026, 1, day, 10) for day in (5, 6, 7, 8))
    assert m.StartPageVisit.record(user, t1) is None  # the first visit ever
    assert m.StartPageVisit.record(user, t2) is None  # still the first visit: the same login
    user.last_login = aware(2026, 1, 7, 9)
    assert m.StartPageVisit.record(user, t3) == t2  # a new login: since the last look before it
    assert m.StartPageVisit.record(user, t4) == t2  # a reload keeps it
    visit = m.StartPageVisit.objects.get(user=user)
    assert (visit.seen_at, visit.login_at, visit.since) == (t4, user.last_login, t2)


def test_the_time_a_result_is_recorded_comes_with_every_write_of_the_result(vw):
    vorlage = make_vorlage(vw, consultations=0)
    consultation = m.Consultation.objects.create(paper=vorlage, committee=vw.committee, role=NOTE)
    assert consultation.result_recorded_at is None
    consultation.result = m.Consultation.Result.NOTED
    consultation.save(update_fields=["result"])
    recorded = m.Consultation.objects.get(pk=consultation.pk).result_recorded_at
    assert recorded is not None
    consultation.refresh_from_db()
    consultation.role = m.Consultation.Role.DECISION
    consultation.save()
    assert m.Consultation.objects.get(pk=consultation.pk).result_recorded_at == recorded
    consultation.result = ""
    consultation.save()
    assert m.Consultation.objects.get(pk=consultation.pk).result_recorded_at is None


# --- The meeting's label -------------------------------------------------------------------------------------------


def test_a_meeting_is_named_by_committee_and_date(world):
    # 13:00 UTC is 15:00 in Mettmann in May; 22:30 UTC on the 20th is already the 21st there.
    x = m.Meeting(committee=world.committee, name="Sitzung des Sozialausschusses",
                  start=datetime.datetime(2012, 5, 21, 13, tzinfo=datetime.UTC))
    assert str(x) == "Sozialausschuss, 21.05.2012, 15:00 Uhr"
    assert x.label == "Sozialausschuss, 21.05.2012"
    late = m.Meeting(committee=world.committee, start=datetime.datetime(2012, 5, 20, 22, 30, tzinfo=datetime.UTC))
    assert late.label == "Sozialausschuss, 21.05.2012"
    with translation.override("en"):
        # The reader's short date (zielsteuerung/formats/en), asked for when the label is shown.
        assert str(x) == "Sozialausschuss, 21/05/2012, 15:00"
        assert x.label == "Sozialausschuss, 21/05/2012"
    consultation = m.Consultation(committee=world.committee, meeting_date=datetime.date(2012, 5, 21))
    assert str(consultation) == consultation.meeting_label == "Sozialausschuss, 21.05.2012"
    assert str(m.Consultation(committee=world.committee)) == "Sozialausschuss"


def test_meetings_are_offered_with_committee_and_date(vw, login):
    label = f"Sozialausschuss, {soon():%d.%m.%Y}, 15:00 Uhr"
    form = ConsultationForm(party=vw.world.county.pk)
    assert label in [str(text) for _value, text in form.fields["meeting"].choices]
    draft = make_vorlage(vw)
    page = login(vw.users.editor).get(reverse("vorlage_consultation_add", args=[draft.pk])).content.decode()
    assert f">{label}</option>" in page and ">Sitzung des Sozialausschusses<" not in page

    admin = login(vw.users.admin)
    changelist = admin.get(reverse("admin:agreements_meeting_changelist")).content.decode()
    assert label in changelist
    answer = admin.get(reverse("admin:autocomplete"), {
        "app_label": "agreements", "model_name": "consultation", "field_name": "meeting", "term": "Sozial"})
    assert label in [row["text"] for row in answer.json()["results"]]


def test_the_beratungsfolge_in_the_lists_names_committee_and_date(vw, login):
    paper(vw, "Liste", on=meeting(vw, in_days(10)))
    body = login(vw.users.committee).get(reverse("vorlage_list")).content.decode()
    assert f"Sozialausschuss, {in_days(10):%d.%m.%Y}" in body


# --- Navigation, queries -------------------------------------------------------------------------------------------


def test_the_past_meetings_belong_to_meine_sitzungsunterlagen_in_the_navigation(world, login):
    html = login(world.users.committee).get(reverse("vorlage_past_meetings")).content.decode()
    nav = re.search(r'<nav class="navbar.*?</nav>', html, re.S).group(0)
    assert re.findall(r'href="([^"]+)" aria-current="page"', nav) == [reverse("vorlage_meetings")]


def _grow(vw, first, last):
    """Upcoming and past meetings number `first` to `last`, each with a released paper (with an Anlage) on the
    agenda, the past ones with a result, and as many papers with only a date; released and decided now."""
    for n in range(first, last):
        upcoming = meeting(vw, in_days(n + 1))
        past = meeting(vw, in_days(-n - 1))
        _, c = paper(vw, f"Kommend {n}", on=upcoming)
        m.AgendaItem.objects.create(meeting=upcoming, number=str(n), consultation=c, name="TOP")
        _, c = paper(vw, f"Vergangen {n}", on=past)
        vorlagen_svc.record_result(user=vw.users.editor, consultation=c, result=m.Consultation.Result.NOTED)
        paper(vw, f"Nur mit Termin {n}", day=in_days(200 + n))


@pytest.mark.parametrize("url_name", ["dashboard", "vorlage_meetings", "vorlage_past_meetings"])
def test_the_pages_issue_a_fixed_number_of_queries(vw, login, url_name):
    member = vw.users.committee
    dashboard(login, member)  # the first visit
    client = login(member)  # the next login: what is new is compared with the first visit
    url = reverse(url_name)
    count_queries(client, url)
    _grow(vw, 0, 2)
    small = count_queries(client, url)
    _grow(vw, 2, 20)
    large = count_queries(client, url)
    if url_name == "dashboard":
        assert len(section(client.get(url))["new_papers"]) == meetings_svc.NEW_LIMIT
    assert small == large, (small, large)
    # session, user, memberships (the dashboard: also for the agreements' part), then the page's own
    expected = {"dashboard": 3 + COMMITTEE_PART_QUERIES, "vorlage_meetings": 10, "vorlage_past_meetings": 11}
    assert large <= expected[url_name], large


def test_it_says_so_when_no_meeting_is_coming(world, login):
    m.AgendaItem.objects.all().delete()
    m.Consultation.objects.update(meeting=None, meeting_date=None)
    m.Meeting.objects.all().delete()
    body = dashboard(login, world.users.committee).content.decode()
    assert "Keine anstehenden Sitzungen Ihrer Gremien." in body and "0 anstehende" not in body
