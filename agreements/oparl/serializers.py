"""OParl 1.1 objects as dicts. Pure functions of already loaded rows: no queries happen here.

Every object carries id, type, created and modified. References are absolute URLs; an object is only linked
when its own URL answers, which is why the serializers ask the Context which bodies are published.
"""

from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agreements.infra.files import FileRefused, document_digest, download_name

OPARL_VERSION = "https://schema.oparl.org/1.1/"
SHA512_CACHE_TIMEOUT = 60 * 60 * 24 * 30

# Pages meant for people, tried in this order; whichever the URL configuration has is linked as `web`.
PAPER_WEB_URL_NAMES = ("vorlage_public_detail", "vorlage_detail")
SYSTEM_WEB_URL_NAMES = ("vorlage_public_list",)


def oparl_type(name):
    return f"{OPARL_VERSION}{name}"


def timestamp(value):
    return timezone.localtime(value).isoformat(timespec="seconds")


def _compact(data):
    """Leave out what is unknown: OParl says absent rather than null or empty string."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


class Context:
    """Per request: absolute URLs, the published bodies, file checksums."""

    def __init__(self, request, body_ids_loader):
        self.request = request
        self._body_ids_loader = body_ids_loader
        self._body_ids = None
        self._sha512 = {}
        self._web_names = {}

    @property
    def body_ids(self):
        if self._body_ids is None:
            self._body_ids = set(self._body_ids_loader())
        return self._body_ids

    def url(self, name, *args, query=None):
        url = self.request.build_absolute_uri(reverse(f"oparl:{name}", args=args))
        return f"{url}?{query}" if query else url

    def web_url(self, names, *args):
        """The first human page of `names` that exists, or None (the pages may not be wired in)."""
        if names not in self._web_names:
            self._web_names[names] = None
            for name in names:
                try:
                    reverse(name, args=args)
                except NoReverseMatch:
                    continue
                self._web_names[names] = name
                break
        name = self._web_names[names]
        return self.request.build_absolute_uri(reverse(name, args=args)) if name else None

    def sha512(self, document):
        """SHA-512 of the stored file, or None when the file is missing or no longer matches its SHA-256.

        The model keeps only SHA-256. Reading every file on every list page would be slow, so the result is
        cached by the SHA-256: the same verified content always has the same SHA-512, in every process.
        """
        if document.pk in self._sha512:
            return self._sha512[document.pk]
        key = f"oparl:sha512:{document.sha256}"
        value = cache.get(key)
        if value is None:
            value = _verified_sha512(document)
            if value is not None:
                cache.set(key, value, SHA512_CACHE_TIMEOUT)
        self._sha512[document.pk] = value
        return value


def _verified_sha512(document):
    try:
        return document_digest(document, "sha512")
    except FileRefused:  # missing or changed: logged where it was found
        return None


def _base(ctx, type_name, url_name, obj):
    return {
        "id": ctx.url(url_name, obj.pk),
        "type": oparl_type(type_name),
    }


def _times(obj):
    return {"created": timestamp(obj.created), "modified": timestamp(obj.modified)}


def deleted(ctx, type_name, url_name, obj, **extra):
    """What is left of a withdrawn object: its identity, its times and the deleted flag."""
    return {**_base(ctx, type_name, url_name, obj), **extra, **_times(obj), "deleted": True}


# --- System and Body ----------------------------------------------------------------------------------------

def system(ctx, created, modified):
    options = getattr(settings, "OPARL_SYSTEM", {})
    return _compact({
        "id": ctx.url("system"),
        "type": oparl_type("System"),
        "oparlVersion": OPARL_VERSION,
        "body": ctx.url("body_list"),
        "name": options.get("name", "Zielsteuerung SGB II – Ausschussvorlagen"),
        "contactEmail": options.get("contactEmail"),
        "contactName": options.get("contactName"),
        "website": options.get("website") or ctx.web_url(SYSTEM_WEB_URL_NAMES),
        "vendor": options.get("vendor"),
        "product": options.get("product"),
        "license": options.get("license"),
        "created": timestamp(created),
        "modified": timestamp(modified),
    })


def body_location(ctx, party):
    return {
        **_base(ctx, "Location", "body_location", party),
        **_compact({
            "description": f"{party.name}, {party.address}",
            "streetAddress": party.street,
            "postalCode": party.postal_code,
            "locality": party.city,
        }),
        "bodies": [ctx.url("body", party.pk)],
        **_times(party),
    }


def body(ctx, party):
    data = {
        **_base(ctx, "Body", "body", party),
        "system": ctx.url("system"),
        "name": party.name,
        "shortName": party.short_name,
        "classification": party.get_kind_display(),
        "organization": ctx.url("body_organizations", party.pk),
        "person": ctx.url("body_persons", party.pk),
        "meeting": ctx.url("body_meetings", party.pk),
        "paper": ctx.url("body_papers", party.pk),
        "agendaItem": ctx.url("body_agenda_items", party.pk),
        "consultation": ctx.url("body_consultations", party.pk),
        "file": ctx.url("body_files", party.pk),
        # The model has no Wahlperioden; the schema wants the (embedded) list all the same.
        "legislativeTerm": [],
        **_times(party),
    }
    if party.address:
        data["location"] = body_location(ctx, party)
    return _compact(data)


# --- Organization, Person -----------------------------------------------------------------------------------

def organization(ctx, committee):
    return _compact({
        **_base(ctx, "Organization", "organization", committee),
        "body": ctx.url("body", committee.party_id),
        "name": committee.name,
        "shortName": committee.short_name,
        "organizationType": "Gremium",
        "classification": committee.get_kind_display(),
        "meeting": ctx.url("organization_meetings", committee.pk),
        **_times(committee),
    })


def person(ctx, person):
    # Name and function as printed on the paper; no e-mail, no user account, no memberships.
    return _compact({
        **_base(ctx, "Person", "person", person),
        "body": ctx.url("body", person.party_id) if person.party_id in ctx.body_ids else None,
        "name": person.name,
        "familyName": person.family_name,
        "givenName": person.given_name,
        "formOfAddress": person.form_of_address,
        "title": [person.title] if person.title else None,
        "status": [person.function] if person.function else None,
        **_times(person),
    })


# --- Meeting, AgendaItem ------------------------------------------------------------------------------------

def meeting_location(ctx, meeting):
    return {
        **_base(ctx, "Location", "meeting_location", meeting),
        "description": meeting.location,
        "meetings": [ctx.url("meeting", meeting.pk)],
        **_times(meeting),
    }


def meeting(ctx, meeting, agenda_items):
    """agenda_items: the meeting's published agenda items, in order (loaded by the caller)."""
    return _compact({
        **_base(ctx, "Meeting", "meeting", meeting),
        "name": str(meeting),
        "meetingState": meeting.get_state_display(),
        "cancelled": meeting.state == meeting.State.CANCELLED,
        "start": timestamp(meeting.start),
        "end": timestamp(meeting.end) if meeting.end else None,
        "location": meeting_location(ctx, meeting) if meeting.location else None,
        "organization": [ctx.url("organization", meeting.committee_id)],
        "agendaItem": [agenda_item(ctx, item) for item in agenda_items],
        **_times(meeting),
    })


def agenda_item(ctx, item):
    return _compact({
        **_base(ctx, "AgendaItem", "agenda_item", item),
        "meeting": ctx.url("meeting", item.meeting_id),
        "number": item.number,
        "order": item.order,
        "name": item.name,
        "public": item.public,
        "consultation": ctx.url("consultation", item.consultation_id) if item.consultation_id else None,
        "result": item.result,
        **_times(item),
    })


# --- Paper, Consultation, File ------------------------------------------------------------------------------

def consultation(ctx, consultation, agenda_items, *, paper_live=True):
    """agenda_items: the published agenda items that treat this consultation (loaded by the caller)."""
    if not paper_live:
        return deleted(ctx, "Consultation", "consultation", consultation)
    committee = consultation.committee
    meeting = consultation.meeting
    return _compact({
        **_base(ctx, "Consultation", "consultation", consultation),
        "paper": ctx.url("paper", consultation.paper_id),
        "agendaItem": ctx.url("agenda_item", agenda_items[0].pk) if agenda_items else None,
        "meeting": (
            ctx.url("meeting", meeting.pk)
            if meeting is not None and meeting.committee.party_id in ctx.body_ids else None
        ),
        "organization": (
            [ctx.url("organization", committee.pk)] if committee.party_id in ctx.body_ids else None
        ),
        "authoritative": consultation.authoritative,
        "role": consultation.get_role_display(),
        **_times(consultation),
    })


def file(ctx, document, *, paper_ids=None, live=True):
    """paper_ids: the published papers that use the file, for the standalone object; embedded files leave the
    back reference out (it is the paper they are embedded in)."""
    access_url = ctx.url("file_access", document.pk)
    if not live:
        # The schema requires accessUrl even here; it answers 410 Gone.
        return deleted(ctx, "File", "file", document, accessUrl=access_url)
    return _compact({
        **_base(ctx, "File", "file", document),
        "name": document.title,
        "fileName": download_name(document),
        "mimeType": document.content_type,
        "date": timezone.localtime(document.created).date().isoformat(),
        "size": document.size,
        "sha512Checksum": ctx.sha512(document),
        "accessUrl": access_url,
        "downloadUrl": ctx.url("file_download", document.pk),
        "paper": [ctx.url("paper", pk) for pk in paper_ids] if paper_ids else None,
        **_times(document),
    })


def paper(ctx, vorlage, *, live=True):
    """vorlage with anlagen (document loaded), consultations (committee, meeting__committee loaded, published
    agenda items in `oparl_agenda_items`) and main_file."""
    if not live:
        return deleted(ctx, "Paper", "paper", vorlage)
    return _compact({
        **_base(ctx, "Paper", "paper", vorlage),
        "body": ctx.url("body", vorlage.department.party_id),
        "name": vorlage.name,
        "reference": vorlage.reference,
        "date": vorlage.date.isoformat(),
        "paperType": vorlage.get_paper_type_display(),
        "mainFile": file(ctx, vorlage.main_file) if vorlage.main_file_id else None,
        "auxiliaryFile": [file(ctx, anlage.document) for anlage in vorlage.anlagen.all() if anlage.document_id],
        "originatorPerson": [ctx.url("person", vorlage.author_id)],
        "consultation": [consultation(ctx, c, c.oparl_agenda_items) for c in vorlage.consultations.all()],
        "web": ctx.web_url(PAPER_WEB_URL_NAMES, vorlage.pk),
        **_times(vorlage),
    })
