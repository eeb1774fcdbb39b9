"""Each user's calendar feed (iCalendar, RFC 5545, written with the `icalendar` package) at a secret address.

What it holds: the meetings of the committees the user is a current member of (vorlage_access.committee_ids) and
what is due for the user's parties (services.deadlines: the agreements' deadlines, the proposals to decide, the
Vorlagen to release), all of which the user may open. Deadlines are all-day events on the day they are due;
meetings carry their time in Europe/Berlin with the VTIMEZONE that defines it. Every event's UID is stable
("meeting-<pk>@<host>", "deadline-<ref>@<host>"), so a calendar client updates an event instead of adding it again.

The address is a random token per user (models.CalendarFeed), found by the feed view without a login; renewing it
replaces the token, so the old address answers 404 from then on.
"""

import datetime
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agreements.policy import access, vorlage_access

from .. import models as m
from . import deadlines

TIME_ZONE = "Europe/Berlin"
PRODID = "-//Zielsteuerung//Kalender//DE"
# Meetings from this long ago on: enough for a client to keep last year's, bounded however long the records go back.
MEETINGS_SINCE_DAYS = 366
# A meeting without an end is shown as this long.
DEFAULT_MEETING_HOURS = 2


def _new_token():
    return secrets.token_urlsafe(32)


def feed_of(user):
    """The user's feed, made on first use."""
    feed = m.CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        with transaction.atomic():
            feed, _created = m.CalendarFeed.objects.get_or_create(
                user=user, defaults={"token": _new_token(), "created": timezone.now()})
    return feed


def renew(user):
    """A new secret address; the old one stops at once (its token is gone)."""
    with transaction.atomic():
        feed = m.CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            return m.CalendarFeed.objects.create(user=user, token=_new_token(), created=timezone.now())
        feed.token = _new_token()
        feed.created = timezone.now()
        feed.save(update_fields=["token", "created"])
    return feed


def user_for_token(token):
    """The active user whose feed has this token, or None (unknown, renewed since, or the account is off)."""
    if not token or len(token) > 64:
        return None
    feed = m.CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    return feed.user if feed is not None else None


def site_host(request=None):
    """The host name the UIDs name: SITE_URL's (the installation's one address), else the request's."""
    host = urlsplit(getattr(settings, "SITE_URL", "") or "").hostname
    return host or (request.get_host().split(":")[0] if request is not None else "localhost")


def _meetings(user, since):
    ids = vorlage_access.committee_ids(user)
    if not ids:
        return []
    return list(m.Meeting.objects.filter(committee_id__in=ids, start__gte=since)
                .select_related("committee", "committee__party").order_by("start", "pk"))


def _meeting_event(meeting, host, absolute, stamp):
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.pk}@{host}")
    event.add("dtstamp", stamp)
    zone = ZoneInfo(TIME_ZONE)
    start = meeting.start.astimezone(zone)
    end = (meeting.end or meeting.start + datetime.timedelta(hours=DEFAULT_MEETING_HOURS)).astimezone(zone)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", meeting.name or meeting.committee.name)
    event.add("description", f"{meeting.committee.name} ({meeting.committee.party.name})")
    if meeting.location:
        event.add("location", meeting.location)
    event.add("last-modified", meeting.modified)
    event.add("url", absolute(reverse("vorlage_meetings")))
    if meeting.state == m.Meeting.State.CANCELLED:
        event.add("status", "CANCELLED")
    return event


def _due_event(item, host, absolute, stamp):
    event = icalendar.Event()
    event.add("uid", f"deadline-{item.ref}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", item.due)
    event.add("dtend", item.due + datetime.timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a deadline does not make anybody busy
    event.add("summary", _("Frist: %(label)s – %(subject)s") % {"label": item.label, "subject": item.subject})
    lines = [_("Zuständig: %(party)s") % {"party": item.owner.name}]
    if item.detail:
        lines.append(item.detail[:500])
    event.add("description", "\n".join(lines))
    event.add("url", absolute(item.url))
    event.add("categories", [_("Frist")])
    return event


def calendar(user, *, host, absolute, now=None):
    """The user's feed as bytes (text/calendar). `absolute(path)` makes a page's address absolute. A fixed number
    of queries: the user's committees and parties, the meetings, what is due (services.deadlines)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    stamp = now.astimezone(datetime.UTC).replace(microsecond=0)
    with translation.override(settings.LANGUAGE_CODE):
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("Zielsteuerung: Sitzungen und Fristen"))
        cal.add("x-wr-timezone", TIME_ZONE)
        for meeting in _meetings(user, now - datetime.timedelta(days=MEETINGS_SINCE_DAYS)):
            cal.add_component(_meeting_event(meeting, host, absolute, stamp))
        for item in deadlines.due_for_parties(access.party_ids(user), today=today):
            cal.add_component(_due_event(item, host, absolute, stamp))
        cal.add_missing_timezones()
    return cal.to_ical()
