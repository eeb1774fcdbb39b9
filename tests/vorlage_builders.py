"""Builders shared by the Vorlage tests: the world with a Fachbereich and meetings, a Vorlage written straight into
the database, and PDF stand-ins for tests about access and counting."""

import datetime
import hashlib
from types import SimpleNamespace

from django.utils import timezone

from agreements import models as m
from agreements.services import vorlagen as svc

from .builders_files import pdf_bytes
from .factories import DocumentFactory, aware

S = m.Vorlage.Status


def today():
    """The application's today (Europe/Berlin), asked when it is used: a date taken at import goes stale at midnight,
    and Berlin's midnight is 23:00 UTC, well inside a CI run."""
    return timezone.localdate()


def soon():
    return today() + datetime.timedelta(days=14)


def vorlage_world(world):
    """The world plus what Vorlagen need: Fachbereich 50 of the county, its author, a meeting of the county's
    Sozialausschuss in two weeks, and the same for the neighbouring county."""
    meeting_day = soon()
    department = m.Department.objects.create(party=world.county, number="50", name="Sozialamt")
    other_department = m.Department.objects.create(party=world.other_county, number="51", name="Sozialamt")
    author = m.Person.objects.create(
        party=world.county, department=department, form_of_address="Frau", given_name="Ulrike",
        family_name="Gansauer", function="Bearbeiterin", user=world.users.editor,
    )
    other_author = m.Person.objects.create(party=world.other_county, department=other_department,
                                           family_name="Nachbar", form_of_address="Herr")
    meeting = m.Meeting.objects.create(committee=world.committee, name="Sitzung des Sozialausschusses",
                                       start=aware(meeting_day.year, meeting_day.month, meeting_day.day, 15))
    second_committee = m.Committee.objects.create(party=world.county, name="Kreisausschuss")
    second_meeting = m.Meeting.objects.create(committee=second_committee,
                                              start=aware(meeting_day.year, meeting_day.month, meeting_day.day, 10))
    other_committee = m.Committee.objects.create(party=world.other_county, name="Sozialausschuss Nachbar")
    other_meeting = m.Meeting.objects.create(committee=other_committee,
                                             start=aware(meeting_day.year, meeting_day.month, meeting_day.day, 9))
    return SimpleNamespace(
        world=world, users=world.users, department=department, other_department=other_department, author=author,
        other_author=other_author, committee=world.committee, meeting=meeting, second_committee=second_committee,
        second_meeting=second_meeting, other_committee=other_committee, other_meeting=other_meeting,
    )


def make_vorlage(vw, *, status=S.DRAFT, public=True, department=None, author=None, name="Zielsteuerung",
                 sections=1, consultations=1, anlagen=1, committee=None, meeting=None, anlage_content=None,
                 agreement=None):
    """A Vorlage written straight into the database (no services): released ones get a stored PDF."""
    department = department or vw.department
    author = author or (vw.author if department == vw.department else vw.other_author)
    committee = committee or (vw.committee if department == vw.department else vw.other_committee)
    meeting = meeting if meeting is not None else (vw.meeting if committee == vw.committee else None)
    day = today()
    running, reference = svc.next_reference(department, day.year)
    vorlage = m.Vorlage.objects.create(
        reference=reference, department=department, year=day.year, running_number=running, author=author,
        date=day, name=name, public=public, non_public_reason="" if public else "Personalangelegenheit",
        agreement=agreement, resolution="Die Ausführungen der Verwaltung werden zur Kenntnis genommen.",
        occasion="Anlass", conclusion="Fazit",
    )
    for i in range(sections):
        m.VorlageSection.objects.create(vorlage=vorlage, order=i + 1, heading=f"{i + 1}. Abschnitt", text="Text")
    for i in range(consultations):
        m.Consultation.objects.create(paper=vorlage, committee=committee, meeting=meeting, order=i + 1,
                                      meeting_date=soon(), role=m.Consultation.Role.NOTICE)
    for i in range(anlagen):
        document = DocumentFactory(content=anlage_content or pdf_bytes(), kind=m.Document.Kind.ANNEX,
                                   title=f"Anlage {i + 1}", original_filename=f"anlage-{i + 1}.pdf")
        m.VorlageAnlage.objects.create(vorlage=vorlage, order=i + 1, title=f"Anlage {i + 1}", document=document)
    if status != S.DRAFT:
        main = DocumentFactory(content=pdf_bytes(pages=2), kind=m.Document.Kind.VORLAGE,
                               title=f"Vorlage {reference}", original_filename="vorlage.pdf")
        # Bypasses the model's guard on purpose: the fixture writes what a release would have written.
        m.Vorlage.objects.filter(pk=vorlage.pk).update(status=status, released_at=timezone.now(), main_file=main)
    return m.Vorlage.objects.select_related("department", "main_file").get(pk=vorlage.pk)


def service_header(vorlage, **changes):
    data = {name: getattr(vorlage, name) for name in svc.HEADER_FIELDS}
    data.update(changes)
    return data


def body(response):
    """The response's bytes. Reading a streamed one to its end closes it the way the test client expects;
    closing it again would fire request_finished and, on PostgreSQL, close the test's connection."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def stub_pdfs(monkeypatch):
    """Replaces WeasyPrint and the bundle merge with stand-ins, for tests about access and counting."""
    from agreements.pdf import bundle
    from agreements.pdf import vorlage as pdf_vorlage
    from agreements.pdf.render import RenderedPdf
    from agreements.views import vorlagen as views

    def render(vorlage, *, use_cache=None):
        content = pdf_bytes()
        return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), html="")

    def build(vorlage_pdf, anlagen, **meta):
        for _title, data in anlagen:
            if data is not None and not data.startswith(b"%PDF-"):
                raise bundle.BundleError(f"{_title} ist keine PDF-Datei.")
        return SimpleNamespace(content=pdf_bytes(pages=2))

    monkeypatch.setattr(pdf_vorlage, "render_vorlage", render)
    monkeypatch.setattr(views, "render_vorlage", render)
    monkeypatch.setattr(bundle, "build_bundle", build)
