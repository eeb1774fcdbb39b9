"""The meetings of a committee member's committees with the papers the member may open: the start page's committee
section, "Meine Sitzungsunterlagen" and the list of past meetings read them here, so that they always agree.

- A meeting is a Meeting record of one of the user's current committees (vorlage_access.committee_ids), or, where a
  Beratungsfolge names only a committee and a date that no record has, that committee on that day: a released
  paper may go to a meeting nobody has entered yet. It is upcoming from its day on until the day is over.
- A paper belongs to a meeting through its consultation (the meeting, or the committee and the day) or through an
  agenda item of the meeting. The member sees the released papers among those vorlage_access.visible_vorlagen
  allows them: the one rule of who reads which Vorlage.
- What is new since the last visit: papers of the member's committees released, and results of their consultations
  recorded (Consultation.result_recorded_at), after the comparison point of models.StartPageVisit.

Every function issues a fixed number of queries, whatever the number of meetings and papers.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import DateTimeField, Exists, F, IntegerField, OuterRef, Prefetch, Q, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from agreements.models.parties import meeting_label
from agreements.policy import vorlage_access

from .. import models as m

UPCOMING_LIMIT = 5
PAST_LIMIT = 3
NEW_LIMIT = 10


@dataclass
class MeetingPaper:
    """A paper on a meeting: its consultation there (the paper loaded), and the agenda item if the meeting has
    one for it."""

    consultation: m.Consultation
    agenda_item: m.AgendaItem | None = None

    @property
    def paper(self):
        return self.consultation.paper

    @property
    def result(self):
        """The decision as recorded: the agenda item's wording, else the consultation's result."""
        if self.agenda_item is not None and self.agenda_item.result:
            return self.agenda_item.result
        return self.consultation.get_result_display() if self.consultation.result else ""


@dataclass
class CommitteeMeeting:
    committee: m.Committee
    day: datetime.date
    meeting: m.Meeting | None = None  # None: only a date in a Beratungsfolge
    papers: list = field(default_factory=list)

    @property
    def label(self):
        """ "Sozialausschuss, 21.05.2012, 15:00 Uhr" (Meeting.__str__), or without the time where only the day is
        known."""
        return str(self.meeting) if self.meeting is not None else meeting_label(self.committee, self.day)


def committees(user):
    """The user's current committees, with their party; empty for everybody who is a member of none."""
    ids = vorlage_access.committee_ids(user)
    if not ids:
        return []
    return list(m.Committee.objects.filter(pk__in=ids).select_related("party").order_by("name", "pk"))


def session_papers(user):
    """The papers that may be on a meeting for the user: the released ones among those the user may read."""
    return vorlage_access.visible_vorlagen(user).filter(vorlage_access.RELEASED)


def _keys(user, committee_ids, *, upcoming):
    """The meetings as rows (meeting id or None, committee id, day, start, 1 for a bare date), soonest first for
    the upcoming ones, latest first for the past ones: one query, to be sliced or counted."""
    today = timezone.localdate()
    in_range = {"day__gte": today} if upcoming else {"day__lt": today}
    records = (
        m.Meeting.objects.filter(committee_id__in=committee_ids)
        .annotate(day=TruncDate("start"))
        .filter(**in_range)
        .annotate(bare=Value(0))
        .order_by()
        .values_list("pk", "committee_id", "day", "start", "bare")
    )
    # A date in a Beratungsfolge that a record of that committee has on that day is that record.
    recorded = m.Meeting.objects.filter(committee_id=OuterRef("committee_id"), start__date=OuterRef("meeting_date"))
    dated = (
        m.Consultation.objects.filter(committee_id__in=committee_ids, meeting__isnull=True,
                                      meeting_date__isnull=False, paper__in=session_papers(user).values("pk"))
        .exclude(Exists(recorded))
        .annotate(meeting_pk=Value(None, output_field=IntegerField()), day=F("meeting_date"),
                  meeting_start=Value(None, output_field=DateTimeField()), bare=Value(1))
        .filter(**in_range)
        .order_by()
        .values_list("meeting_pk", "committee_id", "day", "meeting_start", "bare")
    )
    union = records.union(dated)
    # Within a day the records by time, then the bare dates (whose start is NULL, which databases sort apart).
    if upcoming:
        return union.order_by("day", "bare", "start", "committee_id", "pk")
    return union.order_by("-day", "bare", "-start", "committee_id", "pk")


def upcoming_keys(user, committee_ids):
    return _keys(user, committee_ids, upcoming=True)


def past_keys(user, committee_ids):
    return _keys(user, committee_ids, upcoming=False)


def meetings(user, committee_list, *key_lists):
    """The meetings of the given key rows (one list per block of a page), each with its papers: a list of
    CommitteeMeeting per key list. Four queries for all of them together (meetings, consultations with their
    papers, their Anlagen, agenda items)."""
    by_committee = {c.pk: c for c in committee_list}
    all_keys = [key for keys in key_lists for key in keys]
    meeting_ids = {key[0] for key in all_keys if key[0] is not None}
    records = {x.pk: x for x in m.Meeting.objects.filter(pk__in=meeting_ids)} if meeting_ids else {}
    for record in records.values():
        record.committee = by_committee[record.committee_id]
    found = {}
    for pk, committee_id, day, *_rest in all_keys:
        key = pk if pk is not None else (committee_id, day)
        found.setdefault(key, CommitteeMeeting(committee=by_committee[committee_id], day=day,
                                               meeting=records.get(pk)))
    if found:
        _attach_papers(user, found, records)
    return [[found[pk if pk is not None else (committee_id, day)] for pk, committee_id, day, *_rest in keys]
            for keys in key_lists]


def _attach_papers(user, found, records):
    """Puts each paper on its meetings: the record its consultation names, the records whose agenda items name
    the consultation, or, for a consultation that names only a committee and a day, the meeting of that committee
    on that day (the earliest record, if the committee met twice)."""
    by_record = {pk: found[pk] for pk in records}
    by_day = {}
    for record in sorted(records.values(), key=lambda x: (x.start, x.pk)):
        by_day.setdefault((record.committee_id, timezone.localdate(record.start)), by_record[record.pk])
    by_day.update((key, meeting) for key, meeting in found.items() if meeting.meeting is None)
    on_agenda = defaultdict(list)
    for item in m.AgendaItem.objects.filter(meeting_id__in=list(records), consultation__isnull=False).order_by(
            "order", "pk") if records else ():
        on_agenda[item.consultation_id].append(item)
    dated = Q(meeting__isnull=True, committee_id__in={c for c, _day in by_day},
              meeting_date__in={day for _c, day in by_day})
    consultations = (
        m.Consultation.objects.filter(paper__in=session_papers(user).values("pk"))
        .filter(Q(meeting_id__in=list(records)) | Q(pk__in=list(on_agenda)) | dated)
        .select_related("paper", "paper__department", "committee")
        .prefetch_related(Prefetch("paper__anlagen", queryset=m.VorlageAnlage.objects.order_by("order", "id")))
        .order_by("paper__reference", "order", "pk")
    )
    for consultation in consultations:
        places = [(by_record[item.meeting_id], item) for item in on_agenda.get(consultation.pk, ())]
        if consultation.meeting_id is not None:
            home = by_record.get(consultation.meeting_id)
        else:
            home = by_day.get((consultation.committee_id, consultation.meeting_date))
        if home is not None and all(place is not home for place, _item in places):
            places.append((home, None))
        for place, item in places:
            place.papers.append(MeetingPaper(consultation, item))
    for meeting in found.values():
        # In the order of the agenda where the meeting has one, the papers without an item after it.
        meeting.papers.sort(key=lambda p: (p.agenda_item is None, p.agenda_item.order if p.agenda_item else 0))


def news(user, committee_ids, since):
    """What is new for the member since `since`: (papers released, consultations with a result recorded), each
    latest first, at most NEW_LIMIT + 1 (one more tells that there are more)."""
    papers = list(
        session_papers(user).filter(released_at__gt=since)
        .filter(Exists(m.Consultation.objects.filter(paper=OuterRef("pk"), committee_id__in=committee_ids)))
        .select_related("department").order_by("-released_at", "-pk")[:NEW_LIMIT + 1]
    )
    results = list(
        m.Consultation.objects.filter(committee_id__in=committee_ids, result_recorded_at__gt=since)
        .exclude(result="").filter(paper__in=session_papers(user).values("pk"))
        .select_related("paper", "committee", "meeting").order_by("-result_recorded_at", "-pk")[:NEW_LIMIT + 1]
    )
    for consultation in results:
        if consultation.meeting is not None:
            consultation.meeting.committee = consultation.committee
    return papers, results
