"""Deadlines: working days in NRW, the services that set and close an agreement's deadlines, what is due for a party
(stored and derived), and the reminders on working days with frozen time (time-machine).

The calendar of June 2026 the tests walk: Thursday 4 June is Fronleichnam (a public holiday in NRW, not in every
Land), 6/7 June a weekend; Pfingstmontag is 25 May.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agreements import models as m
from agreements.infra.errors import ConflictError, DomainError
from agreements.policy import access
from agreements.services import deadlines, reminders, workdays

from .factories import make_user

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
D = datetime.date
FRONLEICHNAM = D(2026, 6, 4)
MONDAY_AFTER = D(2026, 6, 8)


def at(day, hour=7):
    """A moment of `day` in Berlin: the daily job runs early in the morning."""
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _days(settings):
    settings.DEADLINE_REMINDER_WORKING_DAYS = 3
    settings.DEADLINE_PROPOSAL_WORKING_DAYS = 10
    settings.VORLAGE_INVITATION_WORKING_DAYS = 5


def deadline(world, due=MONDAY_AFTER, owner=None, **extra):
    return deadlines.create_deadline(user=world.users.editor, agreement=world.agreement, data={
        "kind": m.Deadline.Kind.SIGNATURE, "due": due, "owner": owner or world.county, **extra})


# --- Working days ---------------------------------------------------------------------------------------------

def test_it_counts_working_days_past_weekends_and_nrw_holidays():
    assert workdays.holiday_name(FRONLEICHNAM) == "Fronleichnam"
    assert not workdays.is_working_day(FRONLEICHNAM)
    assert not workdays.is_working_day(D(2026, 6, 6)) and not workdays.is_working_day(D(2026, 6, 7))
    assert workdays.is_working_day(D(2026, 6, 5))
    # Reformationstag is no holiday in NRW (it is in Brandenburg), Allerheiligen is.
    assert workdays.is_working_day(D(2025, 10, 31)) and not workdays.is_working_day(D(2027, 11, 1))
    # Three working days before Monday 8 June: Friday 5, (Thursday 4 is Fronleichnam) Wednesday 3, Tuesday 2.
    assert workdays.working_days_before(MONDAY_AFTER, 3) == D(2026, 6, 2)
    assert workdays.add_working_days(D(2026, 6, 3), 2) == MONDAY_AFTER
    assert workdays.add_working_days(D(2026, 6, 6), 0) == MONDAY_AFTER
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2026, 6, 3), 10**6)


@pytest.mark.parametrize("count", [1, 3, 5, 10])
def test_the_inverses_the_database_asks_with_agree_with_counting_day_by_day(count):
    days = [D(2026, 5, 1) + datetime.timedelta(days=n) for n in range(120)]
    for last in days[30:80]:
        assert workdays.latest_start(last, count) == max(d for d in days if workdays.add_working_days(d, count) <= last)
        assert workdays.latest_day_before(last, count) == max(
            d for d in days if workdays.working_days_before(d, count) <= last)


# --- Setting and closing an agreement's deadlines ----------------------------------------------------------------

def test_it_sets_changes_and_closes_a_deadline_on_the_timeline(world):
    made = deadline(world, note="nach § 4")
    assert (made.kind, made.due, made.owner, made.state) == ("unterzeichnung", MONDAY_AFTER, world.county, "offen")
    step = world.agreement.steps.get(action="deadline.set")
    assert step.kind == m.ProcedureStep.Kind.DEADLINE and step.actor == world.users.editor
    assert step.display_title == "Frist gesetzt: Unterzeichnung bis"
    assert "fällig am 08.06.2026" in step.display_description and "Kreis Mettmann" in step.display_description

    changed = deadlines.update_deadline(user=world.users.ministry, deadline=made, lock_version=made.lock_version,
                                        data={"kind": "sonstige", "title": "Referenzwerte senden",
                                              "due": D(2026, 6, 12), "owner": world.ministry, "note": ""})
    assert (changed.label, changed.owner, changed.due) == ("Referenzwerte senden", world.ministry, D(2026, 6, 12))
    step = world.agreement.steps.get(action="deadline.changed")
    assert "Bisher war sie am 08.06.2026 fällig." in step.display_description
    with pytest.raises(ConflictError):  # a form opened before the change
        deadlines.update_deadline(user=world.users.editor, deadline=made, lock_version=made.lock_version,
                                  data={"kind": "unterzeichnung", "due": MONDAY_AFTER, "owner": world.county})

    closed = deadlines.close_deadline(user=world.users.editor, deadline=changed, state=m.Deadline.State.DONE)
    assert closed.state == "erledigt" and closed.closed_by == world.users.editor and closed.closed_at
    assert world.agreement.steps.filter(action="deadline.done").exists()
    with pytest.raises(DomainError, match="bereits erledigt"):
        deadlines.close_deadline(user=world.users.editor, deadline=changed, state=m.Deadline.State.DROPPED)


def test_the_step_itself_meets_entwurf_bis_and_unterzeichnung_bis(world):
    """Nobody marks "Entwurf bis" done after sending the Fassung, or "Unterzeichnung bis" after the last signature:
    the step meets them, in its transaction, on the timeline; other deadlines stay open."""
    from agreements.services import lifecycle, versions

    from .builders_lifecycle import sign_data

    draft = deadline(world, kind=m.Deadline.Kind.DRAFT)
    signing = deadline(world)
    report = deadline(world, kind=m.Deadline.Kind.HALF_YEAR_REPORT, due=D(2026, 7, 31))

    version = versions.send_draft(user=world.users.editor, agreement=world.agreement, note="")
    draft.refresh_from_db(), signing.refresh_from_db()
    assert (draft.state, draft.closed_by, signing.state) == ("erledigt", world.users.editor, "offen")
    step = world.agreement.steps.get(action="deadline.met")
    assert step.display_title == "Frist erledigt: Entwurf bis"
    assert step.display_description == (f"Mit der Übersendung der Fassung {version.number} ist die am 08.06.2026 "
                                         "fällige Frist „Entwurf bis“ von Kreis Mettmann erledigt.")
    with translation.override("en"):
        assert world.agreement.steps.get(action="deadline.met").display_title == "Deadline met: Draft by"

    lifecycle.agree(user=world.users.ministry, agreement=world.agreement)  # the Fassung just sent
    world.agreement.refresh_from_db()
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())
    signing.refresh_from_db()
    assert signing.state == "offen"  # one signature of two
    lifecycle.sign(user=world.users.ministry, agreement=world.agreement,
                   data=sign_data("Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf"))
    signing.refresh_from_db(), report.refresh_from_db()
    assert (signing.state, signing.closed_by, report.state) == ("erledigt", world.users.ministry, "offen")
    assert "Mit der Unterzeichnung durch alle Partner ist die am 08.06.2026 fällige Frist „Unterzeichnung bis“" in (
        world.agreement.steps.filter(action="deadline.met").latest("pk").display_description)
    assert world.agreement.steps.filter(action="deadline.met").count() == 2


def test_the_text_agreed_meets_an_open_entwurf_bis(world):
    """An "Entwurf bis" set after the last Fassung (the ministry's answer is due) is met when the ministry accepts
    that Fassung instead: with the text agreed no draft is due any more, so it is no longer listed or reminded."""
    from agreements.services import lifecycle, versions

    versions.send_draft(user=world.users.editor, agreement=world.agreement, note="")
    answer = deadline(world, kind=m.Deadline.Kind.DRAFT, owner=world.ministry)
    report = deadline(world, kind=m.Deadline.Kind.HALF_YEAR_REPORT, due=D(2026, 7, 31))
    assert str(answer.pk) in {item.ref for item in deadlines.stored_due([world.ministry.pk])}

    lifecycle.agree(user=world.users.ministry, agreement=world.agreement)
    answer.refresh_from_db(), report.refresh_from_db()
    assert (answer.state, answer.closed_by, report.state) == ("erledigt", world.users.ministry, "offen")
    assert str(answer.pk) not in {item.ref for item in deadlines.stored_due([world.ministry.pk])}
    final = world.agreement.versions.get(kind=m.AgreementVersion.Kind.FINAL)
    step = world.agreement.steps.filter(action="deadline.met").latest("pk")
    assert step.display_description == (
        f"Mit der Abstimmung des Textes (Endfassung {final.number}) ist die am 08.06.2026 fällige Frist „Entwurf "
        "bis“ von Ministerium für Arbeit, Integration und Soziales erledigt: Ein weiterer Entwurf ist nicht mehr "
        "fällig.")


def test_it_phrases_the_entries_in_the_readers_language(world):
    deadline(world)
    step = world.agreement.steps.get(action="deadline.set")
    assert step.rendered("en")[0] == "Deadline set: Signature by"


@pytest.mark.parametrize("data, message", [
    ({"kind": "sonstige"}, "braucht eine Bezeichnung"),
    ({"kind": "unbekannt"}, "Art der Frist"),
    ({"due": D(1999, 1, 1)}, "Datum zwischen"),
    ({"due": "morgen"}, "Datum zwischen"),
    ({"owner": "other_county"}, "Partner der Zielvereinbarung"),
])
def test_it_refuses_bad_values_and_writes_nothing(world, data, message):
    values = {"kind": "unterzeichnung", "due": MONDAY_AFTER, "owner": world.county, **data}
    if values["owner"] == "other_county":
        values["owner"] = world.other_county
    with pytest.raises(DomainError, match=message):
        deadlines.create_deadline(user=world.users.editor, agreement=world.agreement, data=values)
    assert not m.Deadline.objects.exists() and not world.agreement.steps.filter(action__startswith="deadline").exists()


def test_only_editors_of_a_party_set_deadlines_and_only_while_the_agreement_runs(world):
    for user in (world.users.reader, world.users.outsider, world.users.admin):
        with pytest.raises(PermissionDenied):
            deadlines.create_deadline(user=user, agreement=world.agreement, data={
                "kind": "unterzeichnung", "due": MONDAY_AFTER, "owner": world.county})
    made = deadline(world)
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.CLOSED)
    world.agreement.refresh_from_db()
    with pytest.raises(DomainError, match="abgeschlossen"):
        deadlines.close_deadline(user=world.users.editor, deadline=made, state=m.Deadline.State.DONE)


# The agreement statuses each kind of deadline is set in (services.deadlines.KIND_STATUSES), written out: the
# statuses AGREEMENT's "deadline" is open for, narrowed per kind to the phase in which what it asks for can happen.
LIVE = ("entwurf", "in_verhandlung", "abgestimmt", "unterzeichnet", "in_umsetzung", "bewertet")
REPORTS_FIT = {"entwurf", "in_verhandlung", "abgestimmt", "unterzeichnet", "in_umsetzung"}
KIND_FITS = {
    "entwurf": {"entwurf", "in_verhandlung"},  # a Fassung is sent, until the text is agreed
    "unterzeichnung": {"entwurf", "in_verhandlung", "abgestimmt"},  # until every party has signed
    "halbjahresbericht": REPORTS_FIT,  # until the Jahresauswertung ("bewertet")
    "jahresbericht": REPORTS_FIT,
    "sonstige": set(LIVE),
}


def set_status(world, status):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    world.agreement.refresh_from_db()


@pytest.mark.parametrize("status", LIVE)
def test_each_kind_is_set_only_in_the_statuses_it_fits(world, status):
    set_status(world, status)
    made = 0
    for kind, fits in KIND_FITS.items():
        if status in fits:
            assert deadline(world, kind=kind, title="Referenzwerte senden").kind == kind
            made += 1
        else:
            with pytest.raises(DomainError, match="passt nicht mehr zum Status"):
                deadline(world, kind=kind, title="Referenzwerte senden")
            assert not m.Deadline.objects.filter(kind=kind).exists()
    assert world.agreement.steps.filter(action="deadline.set").count() == made
    assert [value for value, _label in deadlines.kind_choices(world.agreement)] == [
        kind for kind, fits in KIND_FITS.items() if status in fits]


def test_no_draft_is_due_on_a_signed_agreement(world):
    set_status(world, m.Agreement.Status.SIGNED)
    with pytest.raises(DomainError) as refused:
        deadline(world, kind=m.Deadline.Kind.DRAFT)
    assert refused.value.message == ("Eine Frist „Entwurf bis“ passt nicht mehr zum Status „unterzeichnet“ der "
                                     "Zielvereinbarung. Gesetzt wird sie nur in diesen Status: Entwurf, "
                                     "in Verhandlung.")
    with translation.override("en"), pytest.raises(DomainError) as refused:
        deadline(world, kind=m.Deadline.Kind.DRAFT)
    assert refused.value.message == ("A “Draft by” deadline no longer fits the agreement's status “signed”. It is "
                                     "set only in these statuses: draft, in negotiation.")
    assert not m.Deadline.objects.exists() and not world.agreement.steps.filter(action__startswith="deadline").exists()


def test_a_deadline_changes_only_to_a_kind_that_fits_and_may_keep_its_own(world):
    signing = deadline(world)
    draft = deadline(world, kind=m.Deadline.Kind.DRAFT, due=D(2026, 6, 1))
    set_status(world, m.Agreement.Status.AGREED)  # accepted without the Fassung the draft deadline waited for
    with pytest.raises(DomainError, match="„Entwurf bis“ passt nicht mehr"):
        deadlines.update_deadline(user=world.users.editor, deadline=signing, lock_version=signing.lock_version,
                                  data={"kind": "entwurf", "due": MONDAY_AFTER, "owner": world.county})
    signing.refresh_from_db()
    assert signing.kind == "unterzeichnung"
    # The draft deadline set before may stay what it is, to be corrected (or dropped).
    changed = deadlines.update_deadline(user=world.users.editor, deadline=draft, lock_version=draft.lock_version,
                                        data={"kind": "entwurf", "due": D(2026, 6, 2), "owner": world.county,
                                              "note": "überholt"})
    assert (changed.kind, changed.due, changed.note) == ("entwurf", D(2026, 6, 2), "überholt")


def test_the_same_deadline_is_set_once_while_it_is_open(world):
    first = deadline(world)
    with pytest.raises(DomainError) as refused:  # another owner, another note, a title: still the same deadline
        deadline(world, owner=world.ministry, note="noch einmal", title="Unterschrift")
    assert refused.value.message == ("Die am 08.06.2026 fällige Frist „Unterzeichnung bis“ ist bereits gesetzt. "
                                     "Bitte ändern Sie die bestehende Frist, statt sie ein zweites Mal zu setzen.")
    later = deadline(world, due=D(2026, 6, 9))  # another day
    deadline(world, kind=m.Deadline.Kind.HALF_YEAR_REPORT)  # another kind
    # A "sonstige Frist" is the same with the same title, whatever its case and spaces; another title is another.
    deadline(world, kind="sonstige", title="Referenzwerte senden")
    with pytest.raises(DomainError, match="Frist „referenzwerte SENDEN“ ist bereits gesetzt"):
        deadline(world, kind="sonstige", title="  referenzwerte SENDEN ")
    deadline(world, kind="sonstige", title="Stellungnahme einholen")
    assert m.Deadline.objects.count() == 5 == world.agreement.steps.filter(action="deadline.set").count()

    # Changed into the same as another: refused; its own note changed: fine.
    with pytest.raises(DomainError, match="bereits gesetzt"):
        deadlines.update_deadline(user=world.users.editor, deadline=later, lock_version=later.lock_version,
                                  data={"kind": "unterzeichnung", "due": MONDAY_AFTER, "owner": world.county})
    later.refresh_from_db()
    assert later.due == D(2026, 6, 9)
    deadlines.update_deadline(user=world.users.editor, deadline=first, lock_version=first.lock_version,
                              data={"kind": "unterzeichnung", "due": MONDAY_AFTER, "owner": world.ministry,
                                    "note": "MAIS unterschreibt zuletzt"})
    # One dropped by mistake is set again.
    deadlines.close_deadline(user=world.users.editor, deadline=first, state=m.Deadline.State.DROPPED)
    assert deadline(world).is_open


# --- What is due ------------------------------------------------------------------------------------------------

@pytest.fixture
def due_world(world):
    """A deadline of the county, one of the ministry, the ministry's proposal the county decides (made on 20 May
    2026), and a draft Vorlage of the county for the Sozialausschuss on Monday 15 June 2026."""
    w = world
    w.county_deadline = deadline(w)
    w.ministry_deadline = deadline(w, due=D(2026, 6, 30), owner=w.ministry)
    m.Proposal.objects.filter(pk=w.proposal.pk).update(created=at(D(2026, 5, 20), 11))
    department = m.Department.objects.create(party=w.county, number="50", name="Sozialamt")
    author = m.Person.objects.create(party=w.county, department=department, family_name="Gansauer")
    w.vorlage = m.Vorlage.objects.create(department=department, year=2026, running_number=1, author=author,
                                         date=D(2026, 5, 1), name="Zielvereinbarung 2026")
    w.meeting = m.Meeting.objects.create(committee=w.committee, start=at(D(2026, 6, 15), 15))
    m.Consultation.objects.create(paper=w.vorlage, committee=w.committee, meeting=w.meeting, order=1,
                                  role=m.Consultation.Role.NOTICE)
    return w


def test_it_lists_what_is_due_for_each_party(due_world):
    w = due_world
    county = deadlines.due_for_parties({w.county.pk}, today=D(2026, 6, 1))
    assert [(item.ref, item.due) for item in county] == [
        # The proposal: 10 working days after 20 May, past Pfingstmontag and Fronleichnam.
        (f"vorschlag-{w.proposal.pk}", D(2026, 6, 5)),
        (str(w.county_deadline.pk), MONDAY_AFTER),
        # The Vorlage: released 5 working days before the meeting on 15 June.
        (f"vorlage-{w.vorlage.pk}", MONDAY_AFTER),
    ]
    assert county[0].owner.name == "Kreis Mettmann" and county[0].label == "Entscheidung über einen Vorschlag"
    assert county[2].subject == f"{w.vorlage.reference} Zielvereinbarung 2026"
    ministry = deadlines.due_for_parties({w.ministry.pk}, today=D(2026, 6, 1))
    assert [item.ref for item in ministry] == [str(w.ministry_deadline.pk)]
    assert deadlines.due_for_parties({w.other_county.pk}, today=D(2026, 6, 1)) == []
    # Deciding the proposal, releasing the Vorlage and closing the deadline end them.
    m.Proposal.objects.filter(pk=w.proposal.pk).update(decision=m.Proposal.Decision.ADOPTED)
    m.Vorlage.objects.filter(pk=w.vorlage.pk).update(status=m.Vorlage.Status.RELEASED)
    deadlines.close_deadline(user=w.users.editor, deadline=w.county_deadline, state=m.Deadline.State.DROPPED)
    assert deadlines.due_for_parties({w.county.pk}, today=D(2026, 6, 1)) == []


@pytest.mark.parametrize("day", [D(2026, 5, 20), D(2026, 6, 5), D(2026, 6, 8), D(2026, 6, 9), D(2026, 6, 16)])
def test_the_counts_agree_with_the_list_and_the_limit_keeps_the_soonest(due_world, day):
    w = due_world
    for n in range(4):
        deadline(w, due=D(2026, 6, 1 + n))
    items = deadlines.due_for_parties({w.county.pk}, today=day)
    assert deadlines.due_counts({w.county.pk}, today=day) == (len(items), sum(i.is_overdue(day) for i in items))
    assert deadlines.due_for_parties({w.county.pk}, today=day, limit=3) == items[:3]


def test_a_meeting_that_is_over_asks_for_no_release_any_more(due_world):
    assert [i.kind for i in deadlines.due_for_parties({due_world.county.pk}, today=D(2026, 6, 16))
            if i.kind == "vorlage"] == []


def test_it_counts_what_waits_in_one_query_as_the_list_says(due_world, login):
    w = due_world
    with time_machine.travel(at(D(2026, 6, 9)), tick=False):
        access.party_ids(w.users.editor)  # read once per request; the page has it already
        with CaptureQueriesContext(connection) as ctx:
            counts = deadlines.waiting_counts(w.users.editor)
        assert len(ctx.captured_queries) == 1
        # The ministry's Fassung 1 to answer; overdue on 9 June: the proposal (5 June), the deadline and the Vorlage
        # (8 June).
        assert counts == deadlines.Waiting(total=4, overdue=3)
        assert deadlines.waiting_counts(w.users.ministry) == deadlines.Waiting(total=0, overdue=0)
        assert not deadlines.waiting_counts(w.users.committee).acts_for_a_party
    with time_machine.travel(at(D(2026, 6, 1)), tick=False):
        # The Fassung, and due within 3 working days (by Friday 5 June, past Fronleichnam): the proposal only.
        assert deadlines.waiting_counts(w.users.editor) == deadlines.Waiting(total=2, overdue=0)
    with time_machine.travel(at(D(2026, 6, 3)), tick=False):
        # By Monday 8 June: the deadline and the Vorlage too.
        assert deadlines.waiting_counts(w.users.editor) == deadlines.Waiting(total=4, overdue=0)


def test_it_finds_what_is_due_with_a_fixed_number_of_queries(world):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            items = deadlines.due_for_parties(None, today=D(2026, 6, 1))
            [item.subject for item in items]
        return len(ctx.captured_queries), len(items)

    deadline(world)
    small = count()
    for n in range(8):
        agreement = m.Agreement.objects.create(title=f"ZV {n}", year=2026, status=m.Agreement.Status.NEGOTIATION)
        m.AgreementParty.objects.create(agreement=agreement, party=world.ministry, role="land", order=0)
        m.AgreementParty.objects.create(agreement=agreement, party=world.county, role="kommunaler_traeger", order=1)
        m.Deadline.objects.create(agreement=agreement, kind="entwurf", due=MONDAY_AFTER, owner=world.county)
        m.Proposal.objects.create(agreement=agreement, party=world.ministry, text=f"Vorschlag {n}")
    large = count()
    assert small[0] == large[0] and large[1] == small[1] + 16


# --- Reminders on working days ------------------------------------------------------------------------------------

def reminders_today():
    return reminders.reminders_on(timezone.localdate())


def test_the_reminder_falls_on_the_working_day_before_a_weekend_and_fronleichnam(world):
    made = deadline(world)  # due Monday 8 June
    reader = world.users.reader
    with time_machine.travel(at(D(2026, 6, 1)), tick=False):
        assert reminders_today() == []
    with time_machine.travel(at(D(2026, 6, 2)), tick=False):
        [reminder] = reminders_today()
        assert (reminder.kind, reminder.item.target, reminder.users) == ("deadline_near", made, [world.users.editor])
        assert reminder.key == f"deadline:{made.pk}:near:2026-06-08"
        assert reader not in reminder.users  # readers are not asked to act
        assert reminder.context == {
            "deadline_kind": "unterzeichnung", "deadline_title": "", "due": "2026-06-08", "owner": "Kreis Mettmann",
            "subject": world.agreement.short_title, "detail": "", "overdue": False}
    # No reminder on a holiday or a weekend, whatever is due.
    for day in (FRONLEICHNAM, D(2026, 6, 6), D(2026, 6, 7), D(2026, 6, 13)):
        with time_machine.travel(at(day), tick=False):
            assert reminders_today() == [], day
    with time_machine.travel(at(D(2026, 6, 3)), tick=False):
        # The job that missed the day catches up, under the same key: sent once.
        assert [r.key for r in reminders_today()] == [f"deadline:{made.pk}:near:2026-06-08"]


def test_overdue_things_are_reminded_once_per_week(world):
    made = deadline(world)
    keys = {}
    for day in (D(2026, 6, 9), D(2026, 6, 10), D(2026, 6, 12), D(2026, 6, 15), D(2026, 6, 19)):
        with time_machine.travel(at(day), tick=False):
            [reminder] = reminders_today()
            assert reminder.kind == "deadline_overdue"
            keys[day] = reminder.key
    assert keys[D(2026, 6, 9)] == keys[D(2026, 6, 10)] == keys[D(2026, 6, 12)] == f"deadline:{made.pk}:overdue:2026-W24"
    assert keys[D(2026, 6, 15)] == keys[D(2026, 6, 19)] == f"deadline:{made.pk}:overdue:2026-W25"
    deadlines.close_deadline(user=world.users.editor, deadline=made, state=m.Deadline.State.DONE)
    with time_machine.travel(at(D(2026, 6, 22)), tick=False):
        assert reminders_today() == []


def test_reminders_go_to_the_editors_of_the_owner_only(due_world):
    w = due_world
    second = make_user("zweite", w.county)
    make_user("inaktiv", w.county, is_active=False)
    with time_machine.travel(at(D(2026, 6, 9)), tick=False):
        found = {r.item.ref: r for r in reminders_today()}
    assert set(found) == {str(w.county_deadline.pk), f"vorschlag-{w.proposal.pk}", f"vorlage-{w.vorlage.pk}"}
    for reminder in found.values():
        assert reminder.kind == "deadline_overdue"
        assert reminder.users == [w.users.editor, second]
    # The ministry's deadline (30 June) is not near yet; the other county has nothing.
    with time_machine.travel(at(D(2026, 6, 25)), tick=False):
        near = [r for r in reminders_today() if r.kind == "deadline_near"]
    assert [(r.item.ref, r.users) for r in near] == [(str(w.ministry_deadline.pk), [w.users.ministry])]


def test_it_computes_the_reminders_with_a_fixed_number_of_queries(due_world):
    def count():
        with time_machine.travel(at(D(2026, 6, 9)), tick=False), CaptureQueriesContext(connection) as ctx:
            found = reminders_today()
        return len(ctx.captured_queries), sum(len(r.users) for r in found)

    small = count()
    for n in range(5):
        make_user(f"bearbeitung-{n}", due_world.county)
        deadline(due_world, due=D(2026, 6, 1 + n))
    large = count()
    assert large[0] == small[0] and large[1] > small[1]


# --- The reminder mails, through the notifications app ----------------------------------------------------------

@pytest.mark.parametrize("language, subject, sentence", [
    ("de", "Frist überschritten (fällig am 08.06.2026): Unterzeichnung bis",
     "eine Frist Ihrer Stelle Kreis Mettmann war am 08.06.2026 fällig und ist noch offen:"),
    ("en", "Deadline passed (due on 08/06/2026): Signature by",
     "a deadline of your party Kreis Mettmann was due on 08/06/2026 and is still open:"),
])
def test_the_mail_phrases_a_reminder_in_the_recipients_language(world, language, subject, sentence):
    from notifications import mail

    deadline(world)
    with time_machine.travel(at(D(2026, 6, 9)), tick=False):
        [reminder] = reminders_today()
    url = "https://zs.example/vereinbarungen/1/fristen/"
    composed = mail.compose(world.users.editor, reminder.kind, language, {**reminder.context, "url": url})
    assert composed.subject == f"{subject} – {world.agreement.short_title}"
    assert sentence in composed.body_text and world.agreement.short_title in composed.body_text
    assert url in composed.body_text and composed.unsubscribe_url in composed.body_text
    assert f'href="{url}"' in composed.body_html and f'href="{composed.unsubscribe_url}"' in composed.body_html


def with_addresses(world):
    for user in (world.users.editor, world.users.ministry, world.users.reader):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def test_the_daily_job_sends_each_reminder_once_however_often_it_runs(world, django_capture_on_commit_callbacks):
    from notifications.models import Notice

    with_addresses(world)
    made = deadline(world)
    with time_machine.travel(at(D(2026, 6, 2)), tick=False):
        assert reminders.send_reminders() == 1
        assert reminders.send_reminders() == 0  # the same day again (a second timer, a second worker)
        assert reminders.send_reminders(timezone.now() + datetime.timedelta(hours=5)) == 0
    with time_machine.travel(at(D(2026, 6, 3)), tick=False):
        assert reminders.send_reminders() == 0  # near: once per deadline and due day
    for day, sent in ((D(2026, 6, 9), 1), (D(2026, 6, 10), 0), (D(2026, 6, 12), 0), (D(2026, 6, 15), 1)):
        with time_machine.travel(at(day), tick=False):
            assert reminders.send_reminders() == sent, day
    notices = Notice.objects.filter(user=world.users.editor).order_by("created")
    assert [n.key for n in notices] == [
        f"deadline:{made.pk}:near:2026-06-08", f"deadline:{made.pk}:overdue:2026-W24",
        f"deadline:{made.pk}:overdue:2026-W25"]
    assert [n.kind for n in notices] == ["deadline_near", "deadline_overdue", "deadline_overdue"]
    assert not Notice.objects.exclude(user=world.users.editor).exists()  # not the reader, not the ministry


def test_the_job_and_its_kinds_are_registered_with_the_notifications_app():
    from notifications import kinds, schedule

    assert {"deadline_near", "deadline_overdue"} <= set(kinds.KINDS)
    job = schedule.JOBS["deadline_reminders"]
    assert (job.period, job.func) == ("daily", reminders.send_reminders)


def test_the_schedule_runs_the_reminders_once_per_day(world, settings):
    from notifications import schedule
    from notifications.models import Notice

    with_addresses(world)
    deadline(world)
    settings.SCHEDULE_DAILY_HOUR = 6
    with time_machine.travel(at(D(2026, 6, 9), hour=7), tick=False):
        first, second = schedule.run_due(timezone.now()), schedule.run_due(timezone.now())
    assert first["deadline_reminders"] == "done" and "deadline_reminders" not in second
    assert Notice.objects.filter(kind="deadline_overdue").count() == 1
