"""The OParl 1.1 endpoints: JSON, no login, GET and HEAD only, CORS open (public data).

Lists issue a fixed number of queries per page: the rows, one count, one query per prefetched relation and
one for the published bodies, however many objects the page holds.
"""

import functools
import json
from collections import defaultdict

from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from agreements.infra import files as stored_files
from agreements.policy import vorlage_access

from .. import models as m
from ..views.base import Routes
from . import serializers as s
from .pagination import ApiError, Page

app_name = "oparl"
urlpatterns = Routes(public=True)  # open data: no login

JSON = "application/json; charset=utf-8"
ALLOWED_METHODS = ("GET", "HEAD")


# --- What is public (the only place that decides) ----------------------------------------------------------

def published_papers():
    """Released public Vorlagen of a Kreis or kreisfreie Stadt; withdrawn ones included (they answer deleted)."""
    return m.Vorlage.objects.filter(vorlage_access.PUBLIC, department__party__kind__in=m.Party.COUNTY_KINDS)


def live_papers():
    return published_papers().exclude(status=m.Vorlage.Status.WITHDRAWN)


def is_live(vorlage):
    return vorlage.status != m.Vorlage.Status.WITHDRAWN


def bodies():
    return m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS).filter(
        Exists(published_papers().filter(department__party=OuterRef("pk")))
    )


def organizations():
    return m.Committee.objects.filter(party__in=bodies())


def meetings():
    return m.Meeting.objects.filter(committee__party__in=bodies())


def agenda_items():
    """Public items of published meetings, treating a published paper or none (never a draft or a
    nichtöffentliche Vorlage)."""
    return m.AgendaItem.objects.filter(public=True, meeting__committee__party__in=bodies()).filter(
        Q(consultation__isnull=True) | Q(consultation__paper__in=published_papers())
    )


def consultations():
    return m.Consultation.objects.filter(paper__in=published_papers())


def persons():
    """Only the Bearbeiter/innen of published papers (OParl's persons are people who appear in the papers)."""
    return m.Person.objects.filter(Exists(live_papers().filter(author=OuterRef("pk"))))


def files(papers=None):
    """The main files and Anlagen of published papers (of `papers`, a subset, when given)."""
    papers = published_papers() if papers is None else papers
    return m.Document.objects.filter(
        Q(pk__in=papers.values("main_file"))
        | Q(pk__in=m.VorlageAnlage.objects.filter(vorlage__in=papers).values("document"))
    )


def file_papers(document_ids):
    """{document id: sorted ids of the live papers using it}; a file missing here belongs only to withdrawn
    papers and answers as deleted. Two queries for any number of files."""
    live = live_papers()
    found = defaultdict(set)
    for paper_id, document_id in live.filter(main_file_id__in=document_ids).values_list("pk", "main_file_id"):
        found[document_id].add(paper_id)
    anlagen = m.VorlageAnlage.objects.filter(vorlage__in=live, document_id__in=document_ids)
    for paper_id, document_id in anlagen.values_list("vorlage_id", "document_id"):
        found[document_id].add(paper_id)
    return {document_id: sorted(ids) for document_id, ids in found.items()}


# --- Querysets with what the serializers read ---------------------------------------------------------------

def _agenda_items_prefetch(lookup):
    return Prefetch(lookup, queryset=agenda_items().order_by("order", "id"), to_attr="oparl_agenda_items")


def _with_consultation_rows(queryset):
    return queryset.select_related("committee", "meeting__committee", "paper").prefetch_related(
        _agenda_items_prefetch("agenda_items")
    )


def _paper_rows(queryset):
    return queryset.select_related("department", "main_file").prefetch_related(
        Prefetch("anlagen", queryset=m.VorlageAnlage.objects.select_related("document").order_by("order", "id")),
        Prefetch("consultations", queryset=_with_consultation_rows(m.Consultation.objects.order_by("order", "id"))),
    )


def _meeting_rows(queryset):
    return queryset.select_related("committee").prefetch_related(_agenda_items_prefetch("agenda_items"))


# --- Plumbing -----------------------------------------------------------------------------------------------

def _json(data, status=200):
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type=JSON, status=status)
    response["Content-Length"] = str(len(response.content))
    return response


def _error(status, message):
    return _json({"error": {"status": status, "message": str(message)}}, status=status)


def _get(queryset, pk):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _body(pk):
    return _get(bodies(), pk)


def api(route):
    """The endpoint at `route`, named after the view: JSON in German (the data's language, whatever the browser
    asks for), errors as JSON, CORS for everyone."""

    def register(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            with translation.override(settings.LANGUAGE_CODE):
                if request.method not in ALLOWED_METHODS:
                    response = _error(405, _("Die OParl-Schnittstelle kann nur gelesen werden (GET, HEAD)."))
                    response["Allow"] = ", ".join(ALLOWED_METHODS)
                else:
                    ctx = s.Context(request, lambda: bodies().values_list("pk", flat=True))
                    try:
                        result = view(ctx, *args, **kwargs)
                    except ApiError as error:
                        response = _error(error.status, error.message)
                    except Http404:
                        response = _error(404, _("Dieses Objekt gibt es hier nicht."))
                    else:
                        response = result if isinstance(result, HttpResponseBase) else _json(result)
            if request.method == "HEAD" and not response.streaming:
                # Same headers as GET (Content-Length included), no body.
                response.content = b""
            response["Access-Control-Allow-Origin"] = "*"
            response["X-Content-Type-Options"] = "nosniff"
            return response

        # Nothing here changes data, and a POST must meet the 405, not the CSRF check.
        return urlpatterns.add(route, csrf_exempt(wrapper))

    return register


def _list(ctx, queryset, serialize):
    page = Page(ctx.request, queryset.order_by("pk"))
    return page.envelope(serialize(page.objects))


# --- System and Body ----------------------------------------------------------------------------------------

@api("")
def system(ctx):
    times = bodies().aggregate(created=Min("created"), modified=Max("modified"))
    now = timezone.now()
    return s.system(ctx, times["created"] or now, times["modified"] or now)


@api("body/")
def body_list(ctx):
    return _list(ctx, bodies(), lambda rows: [s.body(ctx, party) for party in rows])


@api("body/<int:pk>/")
def body(ctx, pk):
    return s.body(ctx, _body(pk))


@api("body/<int:pk>/location/")
def body_location(ctx, pk):
    party = _body(pk)
    if not party.address:
        raise Http404
    return s.body_location(ctx, party)


@api("body/<int:pk>/organization/")
def body_organizations(ctx, pk):
    party = _body(pk)
    return _list(ctx, organizations().filter(party=party), lambda rows: [s.organization(ctx, c) for c in rows])


@api("body/<int:pk>/person/")
def body_persons(ctx, pk):
    party = _body(pk)
    queryset = persons().filter(Exists(live_papers().filter(author=OuterRef("pk"), department__party=party)))
    return _list(ctx, queryset, lambda rows: [s.person(ctx, p) for p in rows])


@api("body/<int:pk>/meeting/")
def body_meetings(ctx, pk):
    party = _body(pk)
    return _list(ctx, _meeting_rows(meetings().filter(committee__party=party)), lambda rows: _meetings(ctx, rows))


@api("body/<int:pk>/agendaitem/")
def body_agenda_items(ctx, pk):
    party = _body(pk)
    queryset = agenda_items().filter(meeting__committee__party=party)
    return _list(ctx, queryset, lambda rows: [s.agenda_item(ctx, item) for item in rows])


@api("body/<int:pk>/paper/")
def body_papers(ctx, pk):
    party = _body(pk)
    return _list(ctx, _paper_rows(published_papers().filter(department__party=party)),
                 lambda rows: [s.paper(ctx, v, live=is_live(v)) for v in rows])


@api("body/<int:pk>/consultation/")
def body_consultations(ctx, pk):
    party = _body(pk)
    queryset = _with_consultation_rows(consultations().filter(paper__department__party=party))
    return _list(ctx, queryset, lambda rows: [_consultation(ctx, c) for c in rows])


@api("body/<int:pk>/file/")
def body_files(ctx, pk):
    party = _body(pk)
    queryset = files(published_papers().filter(department__party=party))
    return _list(ctx, queryset, lambda rows: _files(ctx, rows))


# --- Single objects -----------------------------------------------------------------------------------------

def _meetings(ctx, rows):
    return [s.meeting(ctx, meeting, meeting.oparl_agenda_items) for meeting in rows]


def _consultation(ctx, consultation):
    return s.consultation(ctx, consultation, consultation.oparl_agenda_items, paper_live=is_live(consultation.paper))


def _files(ctx, rows):
    papers = file_papers([document.pk for document in rows])
    return [s.file(ctx, d, paper_ids=papers.get(d.pk), live=d.pk in papers) for d in rows]


@api("organization/<int:pk>/")
def organization(ctx, pk):
    return s.organization(ctx, _get(organizations(), pk))


@api("organization/<int:pk>/meeting/")
def organization_meetings(ctx, pk):
    committee = _get(organizations(), pk)
    return _list(ctx, _meeting_rows(meetings().filter(committee=committee)), lambda rows: _meetings(ctx, rows))


@api("person/<int:pk>/")
def person(ctx, pk):
    return s.person(ctx, _get(persons(), pk))


@api("meeting/<int:pk>/")
def meeting(ctx, pk):
    return _meetings(ctx, [_get(_meeting_rows(meetings()), pk)])[0]


@api("meeting/<int:pk>/location/")
def meeting_location(ctx, pk):
    meeting = _get(meetings().select_related("committee"), pk)
    if not meeting.location:
        raise Http404
    return s.meeting_location(ctx, meeting)


@api("agendaitem/<int:pk>/")
def agenda_item(ctx, pk):
    return s.agenda_item(ctx, _get(agenda_items(), pk))


@api("paper/<int:pk>/")
def paper(ctx, pk):
    vorlage = _get(_paper_rows(published_papers()), pk)
    return s.paper(ctx, vorlage, live=is_live(vorlage))


@api("consultation/<int:pk>/")
def consultation(ctx, pk):
    return _consultation(ctx, _get(_with_consultation_rows(consultations()), pk))


@api("file/<int:pk>/")
def file(ctx, pk):
    return _files(ctx, [_get(files(), pk)])[0]


# --- File contents ------------------------------------------------------------------------------------------

def _file_content(ctx, pk, *, attachment):
    document = _get(files(), pk)
    if not file_papers([document.pk]):
        raise ApiError(410, _("Die Datei gehört zu einer zurückgezogenen Vorlage."))
    try:
        # Only a PDF is shown in the browser; anything else is a download, whatever URL asked for it.
        return stored_files.serve_document(ctx.request, document, inline=not attachment)
    except stored_files.FileRefused as refused:
        raise ApiError(409, refused.message) from refused


@api("file/<int:pk>/access/")
def file_access(ctx, pk):
    return _file_content(ctx, pk, attachment=False)


@api("file/<int:pk>/download/")
def file_download(ctx, pk):
    return _file_content(ctx, pk, attachment=True)
