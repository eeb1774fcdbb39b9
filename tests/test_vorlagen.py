"""Vorlagen: editing, the lifecycle, the PDFs, bad input, the reading view, query counts.

The draft written from an agreement is tested in test_vorlage_draft; the shared builders are in vorlage_builders.
"""

import datetime
import hashlib
import io
import re

import pikepdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.infra.errors import ConflictError, DomainError
from agreements.services import vorlagen as svc

from .builders_confirm import CONFIRMED
from .builders_files import exe_bytes, pdf_bytes, truncated_pdf_bytes, upload
from .factories import DocumentFactory, aware
from .vorlage_builders import S, body, make_vorlage, service_header, soon, stub_pdfs, today, vorlage_world

# --- Helpers ----------------------------------------------------------------------------------------------------


def header_data(vorlage, **changes):
    """The edit form's POST data for the Vorlage as it is, with changes."""
    data = {
        "paper_type": vorlage.paper_type, "decision_type": vorlage.decision_type,
        "public": "on" if vorlage.public else "", "non_public_reason": vorlage.non_public_reason,
        "author": vorlage.author_id, "date": vorlage.date.isoformat(), "file_reference": vorlage.file_reference,
        "name": vorlage.name, "resolution": vorlage.resolution, "occasion": vorlage.occasion,
        "conclusion": vorlage.conclusion, "lock_version": vorlage.lock_version,
    }
    for impact, text in svc.IMPACTS:
        data[impact], data[text] = getattr(vorlage, impact), getattr(vorlage, text)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def vw(world):
    return vorlage_world(world)


@pytest.fixture
def fast_pdfs(monkeypatch):
    stub_pdfs(monkeypatch)


# --- Editing and optimistic locking -----------------------------------------------------------------------------


def test_it_shows_a_conflict_instead_of_overwriting_the_header(vw, login):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    stale = header_data(vorlage, name="Meine Fassung")
    svc.update_vorlage(user=vw.users.editor, vorlage=vorlage, lock_version=vorlage.lock_version,
                       data=service_header(vorlage, name="Fassung der Kollegin"))
    response = client.post(reverse("vorlage_edit", args=[vorlage.pk]), stale)
    assert response.status_code == 409
    assert "Fassung der Kollegin" in response.content.decode()
    assert m.Vorlage.objects.get(pk=vorlage.pk).name == "Fassung der Kollegin"


def test_it_shows_a_conflict_for_a_section_saved_in_between(vw, login):
    vorlage = make_vorlage(vw)
    section = vorlage.sections.get()
    token = section.lock_version
    svc.save_section(user=vw.users.editor, vorlage=vorlage, section=section, lock_version=token,
                     data={"heading": "I.", "text": "Erste Fassung"})
    response = login(vw.users.editor).post(
        reverse("vorlage_section_edit", args=[vorlage.pk, section.pk]),
        {"heading": "I.", "text": "Zweite Fassung", "lock_version": token})
    assert response.status_code == 409
    assert m.VorlageSection.objects.get(pk=section.pk).text == "Erste Fassung"
    for token in ("kaputt", "", "4747-10-06", None):
        with pytest.raises(ConflictError):
            svc.save_section(user=vw.users.editor, vorlage=vorlage, section=section, lock_version=token,
                             data={"heading": "I.", "text": "x"})


@pytest.mark.parametrize("count", [1, 2, 3])
def test_it_offers_only_the_moves_that_move_something(vw, login, count):
    # The first of a list has no "nach oben", the last no "nach unten": a button that does nothing is not shown.
    vorlage = make_vorlage(vw, sections=count, consultations=count, anlagen=count)
    agreement = vw.world.agreement
    for order in range(2, count + 1):
        m.AgreementSection.objects.create(agreement=agreement, order=order + 100, heading=f"§ {order}", text="")
    client = login(vw.users.editor)
    pages = {"vorlage": client.get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode(),
             "agreement": client.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()}
    lists = {
        "vorlage_section_move": ("vorlage", vorlage.pk, vorlage.sections.order_by("order")),
        "vorlage_consultation_move": ("vorlage", vorlage.pk, vorlage.consultations.order_by("order")),
        "vorlage_anlage_move": ("vorlage", vorlage.pk, vorlage.anlagen.order_by("order")),
        "section_move": ("agreement", agreement.pk, agreement.sections.order_by("order")),
    }
    for name, (page, pk, rows) in lists.items():
        rows = list(rows)
        assert len(rows) == count, name
        for i, row in enumerate(rows):
            assert (reverse(name, args=[pk, row.pk, "up"]) in pages[page]) == (i > 0), (name, i)
            assert (reverse(name, args=[pk, row.pk, "down"]) in pages[page]) == (i < count - 1), (name, i)


def test_it_edits_sections_consultations_and_anlagen_through_the_pages(vw, login):
    vorlage = make_vorlage(vw, sections=0, consultations=0, anlagen=0)
    client = login(vw.users.editor)
    assert client.post(reverse("vorlage_section_add", args=[vorlage.pk]),
                       {"heading": "I. Rechtliche Grundlagen", "text": "§ 48b"}).status_code == 302
    assert client.post(reverse("vorlage_section_add", args=[vorlage.pk]),
                       {"heading": "II. Verfahren", "text": ""}).status_code == 302
    first, second = vorlage.sections.order_by("order")
    assert client.post(reverse("vorlage_section_move", args=[vorlage.pk, second.pk, "up"])).status_code == 302
    assert [s.heading for s in vorlage.sections.order_by("order")] == ["II. Verfahren", "I. Rechtliche Grundlagen"]
    assert client.post(reverse("vorlage_section_delete", args=[vorlage.pk, second.pk])).status_code == 302
    assert list(vorlage.sections.values_list("pk", flat=True)) == [first.pk]

    response = client.post(reverse("vorlage_consultation_add", args=[vorlage.pk]), {
        "committee": vw.committee.pk, "meeting": vw.meeting.pk, "role": "kenntnisnahme", "authoritative": "on"})
    assert response.status_code == 302
    consultation = vorlage.consultations.get()
    assert consultation.meeting_date == soon()  # taken from the meeting
    client.post(reverse("vorlage_consultation_add", args=[vorlage.pk]), {
        "committee": vw.second_committee.pk, "meeting_date": soon().isoformat(), "role": "vorberatung"})
    second_c = vorlage.consultations.get(committee=vw.second_committee)
    client.post(reverse("vorlage_consultation_move", args=[vorlage.pk, second_c.pk, "up"]))
    assert [c.committee_id for c in vorlage.consultations.order_by("order")] == [vw.second_committee.pk,
                                                                                 vw.committee.pk]
    response = client.post(reverse("vorlage_consultation_edit", args=[vorlage.pk, second_c.pk]), {
        "committee": vw.second_committee.pk, "meeting": vw.second_meeting.pk, "role": "vorberatung",
        "lock_version": second_c.lock_version})
    assert response.status_code == 302 and vorlage.consultations.get(pk=second_c.pk).meeting == vw.second_meeting
    client.post(reverse("vorlage_consultation_delete", args=[vorlage.pk, second_c.pk]))
    assert vorlage.consultations.count() == 1

    response = client.post(reverse("vorlage_anlage_add", args=[vorlage.pk]), {
        "title": "Schreiben vom 29.03.2012", "file": upload("schreiben.pdf", pdf_bytes())})
    assert response.status_code == 302
    anlage = vorlage.anlagen.get()
    assert anlage.document.agreement is None and anlage.document.kind == m.Document.Kind.ANNEX
    response = client.post(reverse("vorlage_anlage_edit", args=[vorlage.pk, anlage.pk]), {
        "title": "Schreiben des MAIS NRW vom 29.03.2012", "lock_version": anlage.lock_version})
    assert response.status_code == 302
    assert vorlage.anlagen.get().title == "Schreiben des MAIS NRW vom 29.03.2012"


def test_a_paper_about_no_agreement_asks_for_a_file_and_its_name_at_once(vw, login):
    """No agreement, no documents to choose from: the form does not offer to take a document's title, and an empty
    form names both missing fields at once, not one after the other."""
    vorlage = make_vorlage(vw, anlagen=0)
    assert vorlage.agreement_id is None
    client = login(vw.users.editor)
    url = reverse("vorlage_anlage_add", args=[vorlage.pk])
    form = client.get(url).context["form"]
    assert "document" not in form.fields and form.fields["title"].required and form.fields["file"].required
    assert "Titel des Dokuments" not in client.get(url).content.decode()
    response = client.post(url, {"title": ""})
    errors = response.context["form"].errors
    assert response.status_code == 200 and set(errors) == {"title", "file"} and not vorlage.anlagen.exists()
    assert "Dokument der Zielvereinbarung" not in response.content.decode()
    withdraw = client.get(reverse("vorlage_withdraw", args=[vorlage.pk])).content.decode()
    assert "Änderungshistorie der Vorlage" in withdraw and "Verfahren der Zielvereinbarung" not in withdraw


def test_it_adds_an_anlage_from_the_agreements_documents_only(vw, login):
    document = DocumentFactory(agreement=vw.world.agreement, content=pdf_bytes(), title="Übersicht")
    foreign = DocumentFactory(agreement=vw.world.other_agreement, content=pdf_bytes(), title="fremd")
    vorlage = make_vorlage(vw, anlagen=0, agreement=vw.world.agreement)
    client = login(vw.users.editor)
    response = client.post(reverse("vorlage_anlage_add", args=[vorlage.pk]), {"document": foreign.pk})
    assert response.status_code == 200 and not vorlage.anlagen.exists()
    response = client.post(reverse("vorlage_anlage_add", args=[vorlage.pk]), {"document": document.pk})
    assert response.status_code == 302
    assert vorlage.anlagen.get().title == "Übersicht"
    with pytest.raises(DomainError):
        svc.add_anlage(user=vw.users.editor, vorlage=vorlage, document=foreign)


# --- Bad input --------------------------------------------------------------------------------------------------


def _edit(client, vorlage, **changes):
    return client.post(reverse("vorlage_edit", args=[vorlage.pk]), header_data(vorlage, **changes))


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 501}, "name"),
    ({"file_reference": "x" * 101}, "file_reference"),
    ({"public": "", "non_public_reason": ""}, "non_public_reason"),
    ({"financial_impact": "ja", "financial_impact_text": " "}, "financial_impact_text"),
    ({"personnel_impact": "ja"}, "personnel_impact_text"),
    ({"organisational_impact": "ja"}, "organisational_impact_text"),
    ({"financial_impact": "vielleicht"}, "financial_impact"),
    ({"paper_type": "brief"}, "paper_type"),
    ({"date": "2012-13-45"}, "date"),
    ({"date": "1900-01-01"}, "date"),
    ({"date": ""}, "date"),
    ({"author": "999999"}, "author"),
])
def test_it_refuses_bad_header_input_with_a_form_error(vw, login, changes, field):
    vorlage = make_vorlage(vw)
    response = _edit(login(vw.users.editor), vorlage, **changes)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert (stored.name, stored.lock_version, stored.public) == (vorlage.name, vorlage.lock_version, True)


def test_it_refuses_an_author_of_another_party_and_a_date_in_another_year(vw, login):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    response = _edit(client, vorlage, author=vw.other_author.pk)
    assert "author" in response.context["form"].errors  # not among the choices
    with pytest.raises(DomainError, match="Person der Stelle"):
        svc.update_vorlage(user=vw.users.editor, vorlage=vorlage, lock_version=vorlage.lock_version,
                           data=service_header(vorlage, author=vw.other_author))
    response = _edit(client, vorlage, date=f"{today().year - 1}-12-31")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert m.Vorlage.objects.get(pk=vorlage.pk).date == vorlage.date


def test_it_escapes_script_payloads(vw, login):
    vorlage = make_vorlage(vw)
    payload = "<script>alert(1)</script>"
    client = login(vw.users.editor)
    assert _edit(client, vorlage, name=payload, occasion=payload, file_reference="<b>x</b>").status_code == 302
    client.post(reverse("vorlage_section_add", args=[vorlage.pk]), {"heading": payload, "text": payload})
    html = client.get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    assert payload not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


@pytest.mark.parametrize("data, error", [
    ({"committee": "", "role": ""}, "committee"),
    ({"committee": "other", "role": "vorberatung"}, "committee"),
    ({"committee": "own", "meeting": "other_meeting", "role": "vorberatung"}, "meeting"),
    ({"committee": "own", "meeting": "second_meeting", "role": "vorberatung"}, "meeting"),
    ({"committee": "own", "role": "abstimmung"}, "role"),
    ({"committee": "own", "meeting_date": "31.02.2012", "role": "vorberatung"}, "meeting_date"),
    ({"committee": "own", "meeting_date": "2200-01-01", "role": "vorberatung"}, "meeting_date"),
    ({"committee": "own", "meeting_date": "2006-01-01", "role": "vorberatung"}, "__all__"),  # before the paper
])
def test_it_refuses_a_bad_beratungsfolge_entry(vw, login, data, error):
    vorlage = make_vorlage(vw, consultations=0)
    objects = {"own": vw.committee.pk, "other": vw.other_committee.pk, "other_meeting": vw.other_meeting.pk,
               "second_meeting": vw.second_meeting.pk}
    post = {k: objects.get(v, v) for k, v in data.items()}
    response = login(vw.users.editor).post(reverse("vorlage_consultation_add", args=[vorlage.pk]), post)
    assert response.status_code == 200
    assert error in response.context["form"].errors
    assert not vorlage.consultations.exists()


def test_it_checks_the_beratungsfolge_in_the_service_too(vw):
    vorlage = make_vorlage(vw, consultations=0)
    user = vw.users.editor
    for data, message in [
        ({"committee": vw.other_committee, "role": "vorberatung"}, "gehört nicht zur Stelle"),
        ({"committee": vw.committee, "meeting": vw.second_meeting, "role": "vorberatung"}, "keine Sitzung"),
        ({"committee": vw.committee, "meeting": vw.meeting, "meeting_date": today(), "role": "vorberatung"},
         "weicht"),
    ]:
        with pytest.raises(DomainError, match=message):
            svc.save_consultation(user=user, vorlage=vorlage, data=data)
    svc.save_consultation(user=user, vorlage=vorlage, data={"committee": vw.committee, "role": "entscheidung",
                                                            "authoritative": True})
    with pytest.raises(DomainError, match="abschließend"):
        svc.save_consultation(user=user, vorlage=vorlage, data={
            "committee": vw.second_committee, "role": "entscheidung", "authoritative": True})
    assert vorlage.consultations.count() == 1


@pytest.mark.parametrize("url, data, field", [
    ("vorlage_section_add", {"heading": ""}, "heading"),
    ("vorlage_section_add", {"heading": "x" * 301}, "heading"),
    ("vorlage_anlage_add", {"title": "Anlage"}, "file"),  # a paper about no agreement: a file it must be
    ("vorlage_anlage_add", {"title": "Programm", "file": "exe"}, "file"),
    ("vorlage_anlage_add", {"title": "Kaputt", "file": "truncated"}, "file"),
    ("vorlage_anlage_add", {"title": "x" * 301, "file": "pdf"}, "title"),
    ("vorlage_withdraw", {"reason": ""}, "reason"),
])
def test_it_refuses_bad_input_in_the_other_forms(vw, login, settings, url, data, field):
    vorlage = make_vorlage(vw, sections=0, anlagen=0)
    files = {"exe": lambda: upload("programm.pdf", exe_bytes()), "truncated": lambda: upload(
        "kaputt.pdf", truncated_pdf_bytes()), "pdf": lambda: upload("ok.pdf", pdf_bytes())}
    post = {k: files[v]() if k == "file" else v for k, v in data.items()}
    documents_before = m.Document.objects.count()
    response = login(vw.users.editor).post(reverse(url, args=[vorlage.pk]), post)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not vorlage.sections.exists() and not vorlage.anlagen.exists()
    assert m.Document.objects.count() == documents_before
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT


def test_it_refuses_an_unknown_result(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    consultation = vorlage.consultations.get()
    response = login(vw.users.editor).post(
        reverse("vorlage_consultation_result", args=[vorlage.pk, consultation.pk]), {"result": "vertagt!"})
    assert response.status_code == 200 and "result" in response.context["form"].errors
    assert m.Consultation.objects.get(pk=consultation.pk).result == ""


# --- Lifecycle --------------------------------------------------------------------------------------------------


def stored_bytes(document):
    with document.file.open("rb") as handle:
        return handle.read()


def test_it_releases_once_storing_the_pdf_with_its_sha256(vw):
    vorlage = make_vorlage(vw, anlagen=2)
    released = svc.release(user=vw.users.editor, vorlage=vorlage)
    assert released.status == S.RELEASED and released.released_by == vw.users.editor
    assert released.released_at is not None
    document = m.Vorlage.objects.get(pk=vorlage.pk).main_file
    data = stored_bytes(document)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == document.sha256
    assert document.kind == m.Document.Kind.VORLAGE and document.size == len(data) and document.is_pdfa
    with pytest.raises(DomainError, match="nicht möglich"):
        svc.release(user=vw.users.editor, vorlage=vorlage)
    assert m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).count() == 1
    assert m.Vorlage.objects.get(pk=vorlage.pk).main_file == document


def test_it_records_the_release_on_the_agreements_timeline(vw):
    vorlage = make_vorlage(vw, agreement=vw.world.agreement)
    m.Agreement.objects.filter(pk=vw.world.agreement.pk).update(status=m.Agreement.Status.SIGNED)
    svc.release(user=vw.users.editor, vorlage=vorlage)
    step = vw.world.agreement.steps.get(action="vorlage.released")
    assert step.display_title == f"Vorlage {vorlage.reference} freigegeben"
    assert vorlage.reference in step.display_description and step.automatic


def test_it_refuses_edits_after_release_in_every_service(vw):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    user = vw.users.editor
    section, consultation, anlage = vorlage.sections.get(), vorlage.consultations.get(), vorlage.anlagen.get()
    calls = [
        lambda: svc.update_vorlage(user=user, vorlage=vorlage, data=service_header(vorlage, name="neu"),
                                   lock_version=vorlage.lock_version),
        lambda: svc.save_section(user=user, vorlage=vorlage, data={"heading": "neu"}),
        lambda: svc.save_section(user=user, vorlage=vorlage, section=section, data={"heading": "neu"},
                                 lock_version=section.lock_version),
        lambda: svc.delete_section(user=user, section=section),
        lambda: svc.move_section(user=user, section=section, direction="up"),
        lambda: svc.save_consultation(user=user, vorlage=vorlage, data={"committee": vw.committee,
                                                                         "role": "vorberatung"}),
        lambda: svc.save_consultation(user=user, vorlage=vorlage, consultation=consultation, data={
            "committee": vw.committee, "role": "entscheidung"}, lock_version=consultation.lock_version),
        lambda: svc.delete_consultation(user=user, consultation=consultation),
        lambda: svc.move_consultation(user=user, consultation=consultation, direction="down"),
        lambda: svc.add_anlage(user=user, vorlage=vorlage, title="neu", uploaded_file=upload("a.pdf", pdf_bytes())),
        lambda: svc.update_anlage(user=user, anlage=anlage, title="neu", lock_version=anlage.lock_version),
        lambda: svc.delete_anlage(user=user, anlage=anlage),
        lambda: svc.move_anlage(user=user, anlage=anlage, direction="up"),
    ]
    documents = m.Document.objects.count()
    for call in calls:
        with pytest.raises(DomainError, match="kann nicht mehr bearbeitet werden"):
            call()
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.name == vorlage.name and stored.sections.get().heading == section.heading
    assert stored.consultations.get().role == consultation.role and stored.anlagen.get().title == anlage.title
    assert m.Document.objects.count() == documents


def test_it_sends_edit_pages_of_a_released_vorlage_back_to_the_paper(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    client = login(vw.users.editor)
    response = client.get(reverse("vorlage_edit", args=[vorlage.pk]))
    assert response.status_code == 302 and response.url == reverse("vorlage_detail", args=[vorlage.pk])
    response = client.post(reverse("vorlage_section_delete", args=[vorlage.pk, vorlage.sections.get().pk]))
    assert response.status_code == 302 and vorlage.sections.exists()


@pytest.mark.parametrize("content, problem", [
    (b"Das ist kein PDF, nur Text.", "keine PDF-Datei"),
    (truncated_pdf_bytes(), "beschädigt"),
])
def test_it_refuses_to_release_a_vorlage_with_a_broken_anlage(vw, content, problem):
    vorlage = make_vorlage(vw, anlagen=0)
    good = DocumentFactory(content=pdf_bytes(), title="gut")
    broken = DocumentFactory(content=content, title="kaputt")  # straight into the database, past the upload check
    m.VorlageAnlage.objects.create(vorlage=vorlage, order=1, title="Zielvereinbarung", document=good)
    m.VorlageAnlage.objects.create(vorlage=vorlage, order=2, title="Schreiben vom 29.03.2012", document=broken)
    with pytest.raises(DomainError) as refused:
        svc.release(user=vw.users.editor, vorlage=vorlage)
    assert "Anlage 2 „Schreiben vom 29.03.2012“" in str(refused.value) and problem in str(refused.value)
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.status == S.DRAFT and stored.main_file is None
    assert not m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).exists()


@pytest.mark.parametrize("status", ["entwurf", "in_verhandlung", "abgestimmt", "zurueckgezogen", "nicht_unterzeichnet"])
def test_it_releases_a_paper_about_an_agreement_only_once_every_party_has_signed(vw, login, status):
    # The paper says "Vereinbart sind n Ziele" and lists the signatures in the Verfahren: from a draft it would
    # tell the committee what never happened. The page offers no "Freigeben" then, and says why.
    agreement = vw.world.agreement
    m.Agreement.objects.filter(pk=agreement.pk).update(status=status)
    vorlage = make_vorlage(vw, agreement=agreement)
    label = m.Agreement.Status(status).label
    with pytest.raises(DomainError, match=f"ist „{label}“: die Vorlage berichtet über die unterzeichnete"):
        svc.release(user=vw.users.editor, vorlage=vorlage)
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT
    assert not m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).exists()
    assert "release" not in svc.available_actions(vw.users.editor, vorlage)
    page = login(vw.users.editor).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    assert reverse("vorlage_release", args=[vorlage.pk]) not in page
    assert "Noch nicht freizugeben" in page and f"ist „{label}“: die Vorlage berichtet" in page
    reading = login(vw.users.reader).get(reverse("vorlage_detail", args=[vorlage.pk]))
    assert reading.status_code == 200 and "Noch nicht freizugeben" not in reading.content.decode()  # not theirs
    response = login(vw.users.editor).post(reverse("vorlage_release", args=[vorlage.pk]), {})
    assert response.status_code == 302 and m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT

    m.Agreement.objects.filter(pk=agreement.pk).update(status=m.Agreement.Status.SIGNED)
    vorlage = m.Vorlage.objects.get(pk=vorlage.pk)
    assert "release" in svc.available_actions(vw.users.editor, vorlage)
    page = login(vw.users.editor).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    assert "Noch nicht freizugeben" not in page and reverse("vorlage_release", args=[vorlage.pk]) in page
    assert svc.release(user=vw.users.editor, vorlage=vorlage).status == S.RELEASED


def test_it_refuses_to_release_without_beratungsfolge(vw, login):
    vorlage = make_vorlage(vw, consultations=0)
    with pytest.raises(DomainError, match="Beratungsfolge ist leer"):
        svc.release(user=vw.users.editor, vorlage=vorlage)
    # Said before the confirmation asks, not after it was confirmed.
    client = login(vw.users.editor)
    response = client.post(reverse("vorlage_release", args=[vorlage.pk]), {})
    assert response.status_code == 302 and response["Location"] == reverse("vorlage_detail", args=[vorlage.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Beratungsfolge ist leer" in page and m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT


def test_a_step_opened_as_a_page_says_so_and_leads_back(vw, login):
    """The address of "Freigeben" from a bookmark or the address bar: 405, with the words and the way back."""
    vorlage = make_vorlage(vw)
    response = login(vw.users.editor).get(reverse("vorlage_release", args=[vorlage.pk]))
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "Diese Adresse ist ein Schritt, keine Seite" in page and "Es wurde nichts geändert." in page
    assert f'href="{reverse("vorlage_detail", args=[vorlage.pk])}"' in page
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT


def test_it_answers_422_naming_the_broken_anlage_of_a_bundle(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED, anlage_content=truncated_pdf_bytes())
    response = login(vw.users.reader).get(reverse("vorlage_bundle", args=[vorlage.pk]))
    assert response.status_code == 422
    assert "Anlage 1 „Anlage 1“ ist beschädigt." in response.content.decode()


def test_it_serves_the_stored_pdf_of_a_released_vorlage_and_refuses_a_tampered_one(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    client = login(None)  # public: no login needed
    response = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert response.status_code == 200
    assert body(response) == stored_bytes(vorlage.main_file)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    name = f"Vorlage-{vorlage.reference.replace('/', '-')}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    with open(vorlage.main_file.file.path, "ab") as handle:
        handle.write(b"% changed")
    response = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert response.status_code == 409
    assert "Die gespeicherte Datei wurde verändert." in response.content.decode()
    assert login(vw.users.reader).get(reverse("vorlage_bundle", args=[vorlage.pk])).status_code == 422


def test_it_renders_a_draft_pdf_through_the_cache(vw, login, settings):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    first = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert first.status_code == 200 and body(first).startswith(b"%PDF-")
    cached = list((settings.MEDIA_ROOT / "cache" / "pdf").glob("*.pdf"))
    assert len(cached) == 1
    assert body(client.get(reverse("vorlage_pdf", args=[vorlage.pk]))) == cached[0].read_bytes()
    assert not m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).exists()


def test_it_serves_the_bundle_of_a_released_vorlage_with_every_anlage(vw, login):
    vorlage = make_vorlage(vw, anlagen=2)
    svc.release(user=vw.users.editor, vorlage=vorlage)
    response = login(None).get(reverse("vorlage_bundle", args=[vorlage.pk]))
    assert response.status_code == 200
    name = f"Vorlage-{vorlage.reference.replace('/', '-')}-mit-Anlagen.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    with pikepdf.open(io.BytesIO(body(response))) as bundle:
        main = m.Vorlage.objects.get(pk=vorlage.pk).main_file
        with pikepdf.open(main.file.path) as stored:
            main_pages = len(stored.pages)
        assert len(bundle.pages) == 1 + main_pages + 2  # contents, the stored Vorlage, two one-page Anlagen


def test_it_refuses_a_replaced_cached_bundle_to_anonymous_readers_of_a_public_paper(vw, client):
    from agreements.pdf import cache

    vorlage = make_vorlage(vw, status=S.RELEASED, anlagen=1)
    url = reverse("vorlage_bundle", args=[vorlage.pk])
    genuine = body(client.get(url))
    [path] = cache.cache_dir().iterdir()
    tampered = bytearray(genuine)
    tampered[len(tampered) // 2] ^= 0x01  # one bit: same size, still starts and ends like a whole PDF
    path.write_bytes(bytes(tampered))
    response = client.get(url)
    assert response.status_code == 409
    assert "zwischengespeicherte Datei wurde verändert" in response.content.decode()
    again = client.get(url)  # the replaced entry was dropped: built anew from the verified stored files
    assert again.status_code == 200 and body(again).startswith(b"%PDF-")


def test_it_downloads_an_anlage_for_the_readers_of_the_vorlage(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED, public=False)
    anlage = vorlage.anlagen.get()
    url = reverse("vorlage_anlage_download", args=[vorlage.pk, anlage.pk])
    response = login(vw.users.committee).get(url)
    assert response.status_code == 200 and body(response) == stored_bytes(anlage.document)
    assert response["Content-Disposition"] == 'attachment; filename="anlage-1.pdf"'
    assert login(vw.users.ministry).get(url).status_code == 404
    other = make_vorlage(vw, status=S.RELEASED)
    assert login(vw.users.committee).get(
        reverse("vorlage_anlage_download", args=[other.pk, anlage.pk])).status_code == 404


def test_it_records_results_completes_and_withdraws(vw):
    vorlage = make_vorlage(vw, consultations=2)
    user = vw.users.editor
    first, second = vorlage.consultations.order_by("order")
    with pytest.raises(DomainError):
        svc.record_result(user=user, consultation=first, result="kenntnis_genommen")  # still a draft
    svc.release(user=user, vorlage=vorlage)
    svc.record_result(user=user, consultation=first, result="kenntnis_genommen")
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.IN_CONSULTATION  # moved by the first result
    with pytest.raises(DomainError, match="Es fehlt noch das Ergebnis"):
        svc.complete(user=user, vorlage=vorlage)
    svc.record_result(user=user, consultation=second, result="vertagt")
    with pytest.raises(DomainError, match="Vertagt wurde die Beratung in: Sozialausschuss"):
        svc.complete(user=user, vorlage=vorlage)
    svc.record_result(user=user, consultation=second, result="beschlossen")
    done = svc.complete(user=user, vorlage=vorlage)
    assert done.status == S.DONE
    with pytest.raises(DomainError):
        svc.withdraw(user=user, vorlage=vorlage, reason="zu spät")
    with pytest.raises(DomainError):
        svc.record_result(user=user, consultation=first, result="abgelehnt")


def test_it_starts_the_consultation_explicitly(vw):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    with pytest.raises(DomainError):
        svc.complete(user=vw.users.editor, vorlage=vorlage)
    assert svc.start_consultation(user=vw.users.editor, vorlage=vorlage).status == S.IN_CONSULTATION
    with pytest.raises(DomainError):
        svc.start_consultation(user=vw.users.editor, vorlage=vorlage)


def test_it_withdraws_with_a_reason_on_the_timeline_and_the_agenda(vw):
    vorlage = make_vorlage(vw, status=S.RELEASED, agreement=vw.world.agreement)
    consultation = vorlage.consultations.get()
    item = m.AgendaItem.objects.create(meeting=vw.meeting, number="5", name="Zielsteuerung",
                                       consultation=consultation)
    with pytest.raises(DomainError, match="Begründung"):
        svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="  ")
    svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="Die Zielvereinbarung wird neu verhandelt.")
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.status == S.WITHDRAWN and stored.main_file_id == vorlage.main_file_id
    assert m.Consultation.objects.get(pk=consultation.pk).result == m.Consultation.Result.WITHDRAWN
    assert m.AgendaItem.objects.get(pk=item.pk).result == "zurückgezogen: Die Zielvereinbarung wird neu verhandelt."
    step = vw.world.agreement.steps.get(action="vorlage.withdrawn")
    assert step.display_title == f"Vorlage {vorlage.reference} zurückgezogen"
    assert "Die Zielvereinbarung wird neu verhandelt." in step.display_description
    assert "neu verhandelt" in stored.history.first().history_change_reason


def test_it_keeps_a_draft_withdrawn_before_release_internal(vw, login):
    vorlage = make_vorlage(vw)
    svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="Doch nicht.")
    assert login(None).get(reverse("vorlage_detail", args=[vorlage.pk])).status_code == 302
    assert login(vw.users.outsider).get(reverse("vorlage_detail", args=[vorlage.pk])).status_code == 404
    assert login(vw.users.reader).get(reverse("vorlage_detail", args=[vorlage.pk])).status_code == 200


@pytest.mark.parametrize("role", ["reader", "committee", "admin", "ministry"])
def test_it_refuses_lifecycle_actions_to_non_editors(vw, role):
    from django.core.exceptions import PermissionDenied

    vorlage = make_vorlage(vw)
    with pytest.raises(PermissionDenied):
        svc.release(user=getattr(vw.users, role), vorlage=vorlage)
    with pytest.raises(PermissionDenied):
        svc.withdraw(user=getattr(vw.users, role), vorlage=vorlage, reason="x")
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT


def test_it_releases_and_records_results_through_the_pages(vw, login):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    assert client.post(reverse("vorlage_release", args=[vorlage.pk])).status_code == 200  # the question
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT
    assert client.post(reverse("vorlage_release", args=[vorlage.pk]), CONFIRMED).status_code == 302
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.RELEASED
    consultation = vorlage.consultations.get()
    url = reverse("vorlage_consultation_result", args=[vorlage.pk, consultation.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"result": "kenntnis_genommen"}).status_code == 302
    assert client.post(reverse("vorlage_complete", args=[vorlage.pk])).status_code == 200  # the question
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.IN_CONSULTATION
    assert client.post(reverse("vorlage_complete", args=[vorlage.pk]), CONFIRMED).status_code == 302
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DONE
    for data in ({}, CONFIRMED):  # refused, not asked
        response = client.post(reverse("vorlage_release", args=[vorlage.pk]), data, follow=True)
        assert "nicht möglich" in response.content.decode()


# --- The reading view -------------------------------------------------------------------------------------------


def test_it_shows_the_paper_in_the_pdfs_order(vw, login):
    """The reading view has the PDF's parts in the PDF's order; the texts come from vorlage_text_sections."""
    from agreements.pdf.vorlage import render_vorlage

    vorlage = make_vorlage(vw, sections=2, anlagen=2)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(name="Zielsteuerung 2013", occasion="Anlass-Text",
                                                   conclusion="Fazit-Text", file_reference="50-1")
    html = login(vw.users.editor).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    markers = ["Vorlagen Nr.", "Fachbereich", "Beratungsfolge", "Sozialausschuss", "Zielsteuerung 2013",
               "Finanzielle Auswirkung", "Die Ausführungen der Verwaltung", "Anlass der Vorlage:", "Anlass-Text",
               "Sachverhaltsdarstellung:", "1. Abschnitt", "2. Abschnitt", "Fazit:", "Fazit-Text", "Anlagen:",
               "Anlage 1", "Anlage 2"]
    article = html[html.index("<article"):]
    positions = [article.index(marker) for marker in markers]
    assert positions == sorted(positions)
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_vorlage(vorlage).content)).pages)
    # Text extraction splits words at kerning ("T ext"): compare without any white space.
    text = re.sub(r"\s+", "", text)
    pdf_positions = [text.index(re.sub(r"\s+", "", marker)) for marker in markers]
    assert pdf_positions == sorted(pdf_positions)
    for anlage in vorlage.anlagen.all():
        assert reverse("vorlage_anlage_download", args=[vorlage.pk, anlage.pk]) in html
    assert reverse("vorlage_pdf", args=[vorlage.pk]) in html and reverse("vorlage_bundle", args=[vorlage.pk]) in html


def test_it_shows_controls_only_to_those_who_may_use_them(vw, login):
    vorlage = make_vorlage(vw)
    edit_url = reverse("vorlage_edit", args=[vorlage.pk])
    assert edit_url in login(vw.users.editor).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    for role in ("reader", "admin"):
        html = login(getattr(vw.users, role)).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
        assert edit_url not in html and reverse("vorlage_release", args=[vorlage.pk]) not in html


def test_it_lists_the_papers_of_the_coming_meetings_by_date(vw, login):
    later = m.Meeting.objects.create(committee=vw.committee, start=aware(soon().year + 1, 1, 10, 15))
    past = m.Meeting.objects.create(committee=vw.committee, start=aware(2012, 5, 21, 15))
    soon_paper = make_vorlage(vw, status=S.RELEASED, public=False, name="Bald")
    later_paper = make_vorlage(vw, consultations=0, name="Später")
    m.Consultation.objects.create(paper=later_paper, committee=vw.committee, meeting=later,
                                  role=m.Consultation.Role.DECISION)
    old_paper = make_vorlage(vw, consultations=0, name="Alt")
    m.Consultation.objects.create(paper=old_paper, committee=vw.committee, meeting=past,
                                  meeting_date=datetime.date(2012, 5, 21), role=m.Consultation.Role.NOTICE)
    released = {"released_at": timezone.now()}
    m.Vorlage.objects.filter(pk=later_paper.pk).update(status=S.IN_CONSULTATION, **released)
    m.Vorlage.objects.filter(pk=old_paper.pk).update(status=S.DONE, **released)
    make_vorlage(vw, name="Entwurf")  # a draft is no paper for the committee yet
    make_vorlage(vw, status=S.RELEASED, department=vw.other_department, name="Nachbar")
    response = login(vw.users.committee).get(reverse("vorlage_meetings"))
    assert response.status_code == 200
    meetings = response.context["meetings"]
    assert [x.meeting for x in meetings] == [vw.meeting, later]
    assert [[p.paper.name for p in x.papers] for x in meetings] == [["Bald"], ["Später"]]
    html = response.content.decode()
    assert html.index(f"Sozialausschuss, {soon():%d.%m.%Y}, 15:00 Uhr") < html.index("Später")
    assert reverse("vorlage_bundle", args=[soon_paper.pk]) in html
    assert login(vw.users.editor).get(reverse("vorlage_meetings")).context["meetings"] == []


# --- Query counts -----------------------------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
    return len(queries)


def _fill(vw, n):
    """n released public Vorlagen for the committee's coming meeting; the last one (the detail view's) with n
    sections, consultations and Anlagen, the others with two of each."""
    return [make_vorlage(vw, status=S.RELEASED, name=f"V{i}", **dict.fromkeys(
        ("sections", "consultations", "anlagen"), n if i == n - 1 else 2)) for i in range(n)]


@pytest.mark.parametrize("role, url_name, bound", [
    ("editor", "vorlage_list", 12),
    (None, "vorlage_public_list", 8),
    ("committee", "vorlage_meetings", 10),
    ("committee", "vorlage_detail", 12),
    (None, "vorlage_detail", 10),
])
def test_it_needs_the_same_number_of_queries_for_2_and_20(vw, login, fast_pdfs, role, url_name, bound):
    counts = []
    for n in (2, 20):
        papers = _fill(vw, n)
        client = login(getattr(vw.users, role) if role else None)
        url = reverse(url_name, args=[papers[-1].pk]) if url_name == "vorlage_detail" else reverse(url_name)
        _count(client, url)  # warm-up: the session and the user are loaded once per client
        counts.append(_count(client, url))
    assert counts[0] == counts[1] <= bound, counts
