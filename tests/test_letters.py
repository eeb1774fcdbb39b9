import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.services import documents as svc

from .builders_files import exe_bytes, media_files, pdf_bytes, upload
from .builders_queries import count_queries
from .factories import READ, READ_POST, ROLES, WRITE_GET, WRITE_POST, DocumentFactory, PersonFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def letter_data(world, **changes):
    data = {
        "date": "2012-03-29", "direction": "eingang", "sender": world.ministry.pk, "recipient": world.county.pk,
        "subject": "Übernahme der Vorschläge des Kreises", "reference": "II B 3 – 3721", "summary": "",
    }
    data.update(changes)
    return data


def errors_of(response):
    return response.context["form"].errors


# Permissions ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_letters_tab_by_role(world, login, role):
    client = login(getattr(world.users, role))
    url = reverse("agreement_letters", args=[world.agreement.pk])
    assert client.get(url).status_code == READ[role]
    assert client.post(url).status_code == READ_POST[role]


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_editors_add_letters(world, login, role):
    client = login(getattr(world.users, role))
    url = reverse("letter_add", args=[world.agreement.pk])
    before = m.Letter.objects.count()
    assert client.get(url).status_code == WRITE_GET[role]
    assert client.post(url, letter_data(world)).status_code == WRITE_POST[role]
    assert m.Letter.objects.count() == before + (1 if role in ("editor", "ministry") else 0)


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_editors_edit_letters(world, login, role):
    client = login(getattr(world.users, role))
    url = reverse("letter_edit", args=[world.agreement.pk, world.letter.pk])
    assert client.get(url).status_code == WRITE_GET[role]
    response = client.post(url, letter_data(world, subject="Neuer Betreff"))
    assert response.status_code == WRITE_POST[role]
    world.letter.refresh_from_db()
    assert (world.letter.subject == "Neuer Betreff") == (role in ("editor", "ministry"))


def test_it_fills_the_edit_form_with_the_letter(world, login):
    body = login(world.users.editor).get(reverse("letter_edit", args=[world.agreement.pk, world.letter.pk]))
    body = body.content.decode()
    assert 'value="2013-03-29"' in body  # ISO, or the browser's date field stays empty
    assert 'value="Übernahme der Vorschläge"' in body


def test_it_does_not_show_a_letter_under_another_agreement(world, login):
    client = login(world.users.ministry)  # the ministry is party to both agreements
    url = reverse("letter_edit", args=[world.other_agreement.pk, world.letter.pk])
    assert client.get(url).status_code == 404


# Register ---------------------------------------------------------------------------------------------------------


def test_it_lists_the_register_with_file_and_answered_proposals(world, login):
    document = DocumentFactory(agreement=world.agreement, content=pdf_bytes(), title="Schreiben MAIS",
                               kind=m.Document.Kind.LETTER)
    world.letter.document = document
    world.letter.reference = "Az. 50/123"
    world.letter.save()
    world.proposal.answer_letter = world.letter
    world.proposal.save()
    body = login(world.users.reader).get(reverse("agreement_letters", args=[world.agreement.pk])).content.decode()
    assert "29.03.2013" in body
    assert "Eingang" in body
    assert "Ministerium für Arbeit, Integration und Soziales" in body and "Kreis Mettmann" in body
    assert "Übernahme der Vorschläge" in body
    assert "Az. 50/123" in body
    assert reverse("document_download", args=[document.pk]) in body
    assert "Bitte Liga-Stellungnahme anfügen" in body
    assert "<caption>" in body and 'scope="col"' in body and 'scope="row"' in body
    assert body.count("<h1") == 1 and "<h2" in body
    # A reader sees no write buttons.
    assert reverse("letter_add", args=[world.agreement.pk]) not in body


def test_it_filters_by_direction(world, login):
    svc.register_letter(user=world.users.editor, agreement=world.agreement, data={
        "date": datetime.date(2013, 4, 2), "direction": "ausgang", "sender": world.county,
        "recipient": world.ministry, "subject": "Antwort des Kreises",
    })
    client = login(world.users.editor)
    url = reverse("agreement_letters", args=[world.agreement.pk])
    outgoing = client.get(url, {"richtung": "ausgang"}).content.decode()
    assert "Antwort des Kreises" in outgoing and "Übernahme der Vorschläge" not in outgoing
    incoming = client.get(url, {"richtung": "eingang"}).content.decode()
    assert "Antwort des Kreises" not in incoming and "Übernahme der Vorschläge" in incoming
    both = client.get(url, {"richtung": "quatsch"}).content.decode()
    assert "Antwort des Kreises" in both and "Übernahme der Vorschläge" in both


def test_it_registers_a_letter_with_its_file_and_a_timeline_step(world, login, settings):
    client = login(world.users.editor)
    data = letter_data(world, file=upload("Schreiben MAIS 29.03.2012.pdf", pdf_bytes()))
    response = client.post(reverse("letter_add", args=[world.agreement.pk]), data)
    assert response.status_code == 302
    letter = m.Letter.objects.latest("id")
    assert letter.registered_by == world.users.editor
    assert letter.document.kind == m.Document.Kind.LETTER
    assert letter.document.title == letter.subject
    assert letter.document.agreement == world.agreement
    assert letter.document.original_filename == "Schreiben MAIS 29.03.2012.pdf"
    step = m.ProcedureStep.objects.get(letter=letter)
    assert step.kind == m.ProcedureStep.Kind.LETTER
    assert step.date == datetime.date(2012, 3, 29)
    assert step.automatic and step.actor == world.users.editor
    assert step.display_description == (
        "Ministerium für Arbeit, Integration und Soziales hat am 29.03.2012 an Kreis Mettmann geschrieben "
        "(Eingang): „Übernahme der Vorschläge des Kreises“."
    )
    assert set(step.participants.all()) == {world.ministry, world.county}
    assert len(media_files(settings)) == 1


def test_it_registers_letters_after_signing(world):
    world.agreement.status = m.Agreement.Status.SIGNED
    world.agreement.save(update_fields=["status"])
    letter = svc.register_letter(user=world.users.ministry, agreement=world.agreement, data={
        "date": datetime.date(2013, 6, 1), "direction": "ausgang", "sender": world.ministry,
        "recipient": world.county, "subject": "Unterzeichnete Fassung",
    })
    assert letter.pk


def test_it_refuses_a_renamed_program_as_letter_file_and_stores_nothing(world, login, settings):
    client = login(world.users.editor)
    before = m.Letter.objects.count()
    response = client.post(reverse("letter_add", args=[world.agreement.pk]),
                           letter_data(world, file=upload("Schreiben.pdf", exe_bytes())))
    assert response.status_code == 200
    assert "ausführbare Datei" in errors_of(response)["file"][0]
    assert m.Letter.objects.count() == before
    assert not m.Document.objects.exists()
    assert not m.ProcedureStep.objects.filter(kind="schreiben").exists()
    assert media_files(settings) == []


def test_it_removes_the_letter_file_when_the_step_cannot_be_recorded(world, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("timeline broken")

    monkeypatch.setattr(svc, "record_step", broken)
    with pytest.raises(RuntimeError):
        svc.register_letter(user=world.users.editor, agreement=world.agreement, uploaded_file=upload(
            "a.pdf", pdf_bytes()), data={"date": datetime.date(2013, 1, 1), "direction": "eingang",
                                         "sender": world.ministry, "recipient": world.county, "subject": "X"})
    assert not m.Document.objects.exists()
    assert media_files(settings) == []


def test_it_corrects_a_letter_and_its_timeline_step(world, login):
    letter = svc.register_letter(user=world.users.editor, agreement=world.agreement, data={
        "date": datetime.date(2013, 4, 2), "direction": "ausgang", "sender": world.county,
        "recipient": world.ministry, "subject": "Antwort",
    })
    client = login(world.users.editor)
    response = client.post(reverse("letter_edit", args=[world.agreement.pk, letter.pk]), letter_data(
        world, date="2013-04-03", direction="ausgang", sender=world.county.pk, recipient=world.ministry.pk,
        subject="Antwort des Kreises Mettmann", file=upload("antwort.pdf", pdf_bytes()),
    ))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.subject == "Antwort des Kreises Mettmann"
    assert letter.document.original_filename == "antwort.pdf"
    step = letter.steps.get()
    assert step.date == datetime.date(2013, 4, 3)
    assert "Antwort des Kreises Mettmann" in step.display_description
    assert letter.history.count() == 2


def test_it_keeps_a_superseded_letter_file_among_the_documents(world, login):
    old = DocumentFactory(agreement=world.agreement, content=pdf_bytes(), title="alt")
    world.letter.document = old
    world.letter.save()
    client = login(world.users.editor)
    form = client.get(reverse("letter_edit", args=[world.agreement.pk, world.letter.pk])).content.decode()
    assert "Neue Datei" in form
    client.post(reverse("letter_edit", args=[world.agreement.pk, world.letter.pk]),
                letter_data(world, file=upload("neu.pdf", pdf_bytes(pages=2))))
    world.letter.refresh_from_db()
    assert world.letter.document != old
    body = client.get(reverse("agreement_documents", args=[world.agreement.pk])).content.decode()
    assert reverse("document_download", args=[old.pk]) in body


# Bad input --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": "", "sender": "", "recipient": "", "subject": "", "direction": ""}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"reference": "x" * 101}, "reference"),
        ({"summary": "x" * 10001}, "summary"),
        ({"recipient": "__ministry__"}, "recipient"),
        ({"sender": 999999}, "sender"),
        ({"recipient": "keine-zahl"}, "recipient"),
        ({"date": "31.02.2013"}, "date"),
        ({"date": "2013-02-31"}, "date"),
        ({"direction": "seitwaerts"}, "direction"),
        ({"sender_person": 999999}, "sender_person"),
    ],
)
def test_it_refuses_bad_letter_input_with_a_message(world, login, changes, field):
    changes = {k: (world.ministry.pk if v == "__ministry__" else v) for k, v in changes.items()}
    client = login(world.users.editor)
    before = m.Letter.objects.count()
    response = client.post(reverse("letter_add", args=[world.agreement.pk]), letter_data(world, **changes))
    assert response.status_code == 200
    assert field in errors_of(response)
    assert m.Letter.objects.count() == before


def test_it_says_sender_and_recipient_must_differ(world, login):
    response = login(world.users.editor).post(reverse("letter_add", args=[world.agreement.pk]),
                                              letter_data(world, recipient=world.ministry.pk))
    assert "Absender und Empfänger müssen verschiedene Stellen sein." in response.content.decode()


def test_it_refuses_a_signatory_of_another_party(world, login):
    person = PersonFactory(party=world.county)
    response = login(world.users.editor).post(reverse("letter_add", args=[world.agreement.pk]),
                                              letter_data(world, sender_person=person.pk))
    assert "gehört nicht zur absendenden Stelle" in errors_of(response)["sender_person"][0]
    with pytest.raises(svc.DomainError):
        svc.register_letter(user=world.users.editor, agreement=world.agreement, data={
            "date": datetime.date(2013, 1, 1), "direction": "eingang", "sender": world.ministry,
            "recipient": world.county, "subject": "X", "sender_person": person,
        })


def test_it_refuses_a_letter_dated_after_today_in_the_form_and_the_service(world, login):
    # A letter is registered once it was written: a date after today is a typing error, and it would lead the
    # dashboard's "Letzte Aktivitäten" for years.
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    client = login(world.users.editor)
    before = m.Letter.objects.count()
    response = client.post(reverse("letter_add", args=[world.agreement.pk]),
                           letter_data(world, date=tomorrow.isoformat()))
    assert response.status_code == 200
    assert errors_of(response)["date"] == ["Das Datum des Schreibens liegt in der Zukunft."]
    assert m.Letter.objects.count() == before
    data = {"date": tomorrow, "direction": "eingang", "sender": world.ministry, "recipient": world.county,
            "subject": "X"}
    with pytest.raises(svc.DomainError, match="liegt in der Zukunft"):
        svc.register_letter(user=world.users.editor, agreement=world.agreement, data=data)
    letter = svc.register_letter(user=world.users.editor, agreement=world.agreement, data={**data, "date": today})
    with pytest.raises(svc.DomainError, match="liegt in der Zukunft"):
        svc.update_letter(user=world.users.editor, letter=letter, data={**data, "date": tomorrow})
    assert m.Letter.objects.get(pk=letter.pk).date == today
    response = client.post(reverse("letter_add", args=[world.agreement.pk]), letter_data(world, date=today.isoformat()))
    assert response.status_code == 302 and m.Letter.objects.count() == before + 2


def test_it_refuses_sender_equal_recipient_in_the_service_too(world):
    with pytest.raises(svc.DomainError):
        svc.register_letter(user=world.users.editor, agreement=world.agreement, data={
            "date": datetime.date(2013, 1, 1), "direction": "eingang", "sender": world.county,
            "recipient": world.county, "subject": "X",
        })


def test_it_escapes_script_in_letters(world, login):
    payload = '<script>alert("x")</script>'
    client = login(world.users.editor)
    response = client.post(reverse("letter_add", args=[world.agreement.pk]),
                           letter_data(world, subject=payload, summary=payload, reference=payload[:50]))
    assert response.status_code == 302
    body = client.get(reverse("agreement_letters", args=[world.agreement.pk])).content.decode()
    assert payload not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_it_labels_every_input_of_the_letter_form(world, login):
    body = login(world.users.editor).get(reverse("letter_add", args=[world.agreement.pk])).content.decode()
    for name in ("date", "direction", "sender", "sender_person", "recipient", "subject", "reference", "summary",
                 "file"):
        assert f'for="id_{name}"' in body
    assert 'enctype="multipart/form-data"' in body
    assert body.count("<h1") == 1


# Query counts -----------------------------------------------------------------------------------------------------


def make_letters(world, count):
    person = PersonFactory(party=world.ministry)
    for i in range(count):
        document = DocumentFactory(agreement=world.agreement, content=pdf_bytes(), kind="schreiben")
        letter = m.Letter.objects.create(
            agreement=world.agreement, date=datetime.date(2013, 1, 1) + datetime.timedelta(days=i),
            direction="eingang" if i % 2 else "ausgang", sender=world.ministry, recipient=world.county,
            sender_person=person, subject=f"Schreiben {i}", document=document,
        )
        m.Proposal.objects.create(agreement=world.agreement, party=world.county, text=f"Vorschlag {i}",
                                  answer_letter=letter, decision="uebernommen")


def test_it_shows_the_letters_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.editor)
    url = reverse("agreement_letters", args=[world.agreement.pk])
    make_letters(world, 1)  # plus the one in `world`
    assert m.Letter.objects.filter(agreement=world.agreement).count() == 2
    small = count_queries(client, url)
    make_letters(world, 23)
    assert m.Letter.objects.filter(agreement=world.agreement).count() == 25
    large = count_queries(client, url)
    assert small == large
    assert large <= 13
