"""Every create form is saved once, however often it is sent (issue 10, B.6).

A double click on "Ziel hinzufügen", the back button and "send again", a retry after a slow answer: the browser
sends the same form again. One mechanism covers every create form: forms.base.submit_once() gives the form a
hidden single-use token when it is opened, views.base.once() claims it (FormSubmission, unique per user and token)
in the transaction that creates the record. The second submission creates nothing and leads to the record the
first one created, with a message. The tests below run that for every create form of the app, found by the same
rule: a page that renders the token. Parallel submissions are tested on PostgreSQL and on a SQLite file.
"""


import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements import urls as app_urls
from agreements.forms.base import REPEAT_FIELD, SUBMISSION_FIELD
from agreements.views.base import REPEAT_WINDOW

from . import sqlite_race
from .builders_files import pdf_bytes, upload
from .builders_lifecycle import review_data
from .factories import make_user
from .vorlage_builders import make_vorlage, vorlage_world

pytestmark = pytest.mark.django_db


TOKEN = re.compile(rf'name="{SUBMISSION_FIELD}" value="([^"]+)"')


@pytest.fixture
def scene(world):
    """The world, the county's Fachbereich 50 and a draft Vorlage without sections, consultations and Anlagen."""
    vw = vorlage_world(world)
    world.vw = vw
    world.vorlage = make_vorlage(vw, sections=0, consultations=0, anlagen=0)
    return world


def _in_effect(w):
    m.Agreement.objects.filter(pk=w.agreement.pk).update(status=m.Agreement.Status.IN_EFFECT)


# url name → (url args, POST data (a fresh dict, with fresh files, per call), the records it creates, set-up, user).
# The user is one who may send the form in the world: the working text (sections, goals, offers) is written by the
# county, "am Zug" (services.transitions.AGREEMENT "write"); proposals come from the ministry, which is not.
CREATE_FORMS = {
    "agreement_create": (
        lambda w: [], lambda w: {"title": "Zielvereinbarung 2014", "year": "2014", "land": w.ministry.pk,
                                 "kommunaler_traeger": w.county.pk, "preamble": ""},
        lambda w: m.Agreement.objects.filter(title="Zielvereinbarung 2014"), None, "editor"),
    "section_add": (
        lambda w: [w.agreement.pk], lambda w: {"heading": "§ 2 Ziele", "text": "Text"},
        lambda w: w.agreement.sections.all(), None, "editor"),
    "goal_add": (
        lambda w: [w.agreement.pk], lambda w: {"kind": "qualitativ", "level": "lokal", "area": "kdu",
                                               "title": "Doppelt geklickt", "direction": "senkung"},
        lambda w: w.agreement.goals.all(), None, "editor"),
    "offer_add": (
        lambda w: [w.agreement.pk], lambda w: {"topic": w.topic.pk, "title": "Fachtag", "status": "geplant",
                                               "provider": w.ministry.pk},
        lambda w: w.agreement.offers.all(), None, "editor"),
    "proposal_add": (
        lambda w: [w.agreement.pk], lambda w: {"text": "Mehr Beratung für Alleinerziehende"},
        lambda w: w.agreement.proposals.all(), None, "ministry"),
    "statement_add": (
        lambda w: [w.agreement.pk], lambda w: {"party": w.liga.pk, "date": "2012-01-23", "title": "Stellungnahme",
                                               "text": "Die Liga regt an …"},
        lambda w: w.agreement.statements.all(), None, "editor"),
    "step_add": (
        lambda w: [w.agreement.pk], lambda w: {"date": "2011-12-16", "date_precision": "tag", "kind": "gespraech",
                                               "title": "Zielsteuerungsgespräch", "participants": [w.county.pk]},
        lambda w: w.agreement.steps.all(), None, "editor"),
    "letter_add": (
        lambda w: [w.agreement.pk], lambda w: {"date": "2012-03-29", "direction": "eingang", "sender": w.ministry.pk,
                                               "recipient": w.county.pk, "subject": "Übernahme der Vorschläge",
                                               "file": upload("schreiben.pdf", pdf_bytes())},
        lambda w: w.agreement.letters.all(), None, "editor"),
    "document_upload": (
        lambda w: [w.agreement.pk], lambda w: {"title": "Protokoll", "kind": "protokoll",
                                               "file": upload("protokoll.pdf", pdf_bytes())},
        lambda w: m.Document.objects.all(), None, "editor"),
    "deadline_add": (
        lambda w: [w.agreement.pk], lambda w: {"kind": "entwurf", "due": "2026-06-08", "owner": w.county.pk,
                                               "title": "", "note": ""},
        lambda w: w.agreement.deadlines.all(), None, "editor"),
    "review_add": (
        lambda w: [w.agreement.pk], review_data, lambda w: w.agreement.reviews.all(), _in_effect, "editor"),
    "vorlage_create": (
        lambda w: [], lambda w: {"department": w.vw.department.pk, "author": w.vw.author.pk,
                                 "date": timezone.localdate().isoformat(), "name": "Ohne Vereinbarung",
                                 "paper_type": "mitteilungsvorlage", "decision_type": "kenntnisnahme",
                                 "public": "on", "financial_impact": "nein", "personnel_impact": "nein",
                                 "organisational_impact": "nein"},
        lambda w: m.Vorlage.objects.all(), None, "editor"),
    "vorlage_create_from_agreement": (
        lambda w: [], lambda w: {"agreement": w.agreement.pk, "department": w.vw.department.pk,
                                 "author": w.vw.author.pk, "date": timezone.localdate().isoformat()},
        lambda w: m.Vorlage.objects.all(), None, "editor"),
    "vorlage_section_add": (
        lambda w: [w.vorlage.pk], lambda w: {"heading": "I. Rechtliche Grundlagen", "text": "§ 48b SGB II"},
        lambda w: w.vorlage.sections.all(), None, "editor"),
    "vorlage_consultation_add": (
        lambda w: [w.vorlage.pk], lambda w: {"committee": w.vw.committee.pk, "meeting": w.vw.meeting.pk,
                                             "role": "kenntnisnahme"},
        lambda w: w.vorlage.consultations.all(), None, "editor"),
    "vorlage_anlage_add": (
        lambda w: [w.vorlage.pk], lambda w: {"title": "Schreiben vom 29.03.2012",
                                             "file": upload("schreiben.pdf", pdf_bytes())},
        lambda w: w.vorlage.anlagen.all(), None, "editor"),
}


def _open(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    tokens = TOKEN.findall(response.content.decode())
    assert len(tokens) == 1, f"{url}: the form carries no (or more than one) submission token"
    return tokens[0]


def _messages(response):
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def _prepare(scene, name, login):
    args, data, created, setup, role = CREATE_FORMS[name]
    if setup:
        setup(scene)
    return login(getattr(scene.users, role)), reverse(name, args=args(scene)), data, created


@pytest.mark.parametrize("name", CREATE_FORMS)
def test_it_creates_once_when_a_create_form_is_sent_twice(scene, login, name):
    client, url, data, created = _prepare(scene, name, login)
    token = _open(client, url)
    before = set(created(scene).values_list("pk", flat=True))

    first = client.post(url, {**data(scene), SUBMISSION_FIELD: token})
    assert first.status_code == 302, first.context["form"].errors if first.context else first
    [new] = set(created(scene).values_list("pk", flat=True)) - before
    second = client.post(url, {**data(scene), SUBMISSION_FIELD: token})

    # Nothing new; the second answer leads where the first did, and says why.
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert set(created(scene).values_list("pk", flat=True)) == before | {new}
    assert "bereits gespeichert" in _messages(second)
    submission = m.FormSubmission.objects.get(user=first.wsgi_request.user, token=token)
    assert submission.created_object() == created(scene).get(pk=new)


# Forms whose own rule refuses the same content twice, whatever the token: the second entry differs there. An open
# deadline is set once (services.deadlines; tests/test_deadlines_views.py sends the same one twice).
SECOND_ENTRY = {"deadline_add": {"due": "2026-06-09"}}


REPEAT = re.compile(rf'name="{REPEAT_FIELD}" value="([0-9a-f]{{64}})"')
ASKED = "Einen Eintrag mit genau diesem Inhalt haben Sie über dieses Formular um"


@pytest.mark.parametrize("name", CREATE_FORMS)
def test_it_asks_before_it_creates_the_same_entry_again_from_a_newly_opened_form(scene, login, name):
    """The back button can bring the form back opened anew (a new token) with what was typed: the same content from
    the same form is then asked about, not saved; sent once more, as the answer says, it is the second entry on
    purpose. Other content from the newly opened form is simply saved."""
    client, url, data, created = _prepare(scene, name, login)
    before = created(scene).count()
    first = client.post(url, {**data(scene), SUBMISSION_FIELD: _open(client, url)})
    assert first.status_code == 302
    if name in SECOND_ENTRY:  # its own rule refuses the same content: other content is not asked about
        other = client.post(url, {**data(scene), **SECOND_ENTRY[name], SUBMISSION_FIELD: _open(client, url)})
        assert other.status_code == 302 and created(scene).count() == before + 2
        return
    token = _open(client, url)
    asked = client.post(url, {**data(scene), SUBMISSION_FIELD: token})
    page = asked.content.decode()
    assert asked.status_code == 200 and ASKED in page and "nicht noch einmal angelegt" in page
    assert created(scene).count() == before + 1
    # The answer carries the same token (unused) and the confirmation; sending it creates the second entry.
    assert TOKEN.findall(page) == [token]
    [repeat] = REPEAT.findall(page)
    again = client.post(url, {**data(scene), SUBMISSION_FIELD: token, REPEAT_FIELD: repeat})
    assert again.status_code == 302, again.context["form"].errors if again.context else again
    assert "bereits gespeichert" not in _messages(again)
    assert created(scene).count() == before + 2


def test_a_form_whose_service_refuses_the_same_content_gets_that_refusal_not_the_question(scene, login):
    """An open deadline is set once (services.deadlines): the same one again from a newly opened form gets the
    service's refusal, not the offer to send it again on purpose, which would be refused."""
    client, url, data, created = _prepare(scene, "deadline_add", login)
    assert client.post(url, {**data(scene), SUBMISSION_FIELD: _open(client, url)}).status_code == 302
    again = client.post(url, {**data(scene), SUBMISSION_FIELD: _open(client, url)})
    page = again.content.decode()
    assert again.status_code == 200 and "ist bereits gesetzt" in page and ASKED not in page
    assert created(scene).count() == 1


def test_it_does_not_ask_after_the_window_or_for_other_content(scene, login):
    client, url, data, created = _prepare(scene, "section_add", login)
    before = created(scene).count()
    assert client.post(url, {**data(scene), SUBMISSION_FIELD: _open(client, url)}).status_code == 302
    other = client.post(url, {**data(scene), "heading": "§ 3 Anderes", SUBMISSION_FIELD: _open(client, url)})
    assert other.status_code == 302
    m.FormSubmission.objects.update(created=timezone.now() - REPEAT_WINDOW - datetime.timedelta(minutes=1))
    later = client.post(url, {**data(scene), SUBMISSION_FIELD: _open(client, url)})
    assert later.status_code == 302 and created(scene).count() == before + 3


def test_every_create_form_of_the_app_is_covered(scene, login):
    """The rule that finds a create form: a URL name ending in _add, _create or _upload (plus the Vorlage's
    "create from agreement"). Every one renders the token and is listed above."""
    names = {p.name for p in app_urls.urlpatterns if p.name and re.search(r"(_add|_create|_upload)$", p.name)}
    names.add("vorlage_create_from_agreement")
    assert names == set(CREATE_FORMS)


def test_it_keeps_the_token_unused_when_the_service_refuses(world, login):
    client = login(world.users.editor)
    url = reverse("goal_add", args=[world.agreement.pk])
    token = _open(client, url)
    # A qualitative goal with a number: refused by the service, not the form.
    refused = client.post(url, {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Mit Zahl",
                                "direction": "senkung", "target_value": "3", SUBMISSION_FIELD: token})
    assert refused.status_code == 200 and "Zahlenwerte" in refused.content.decode()
    # The form comes back with the same token: corrected and sent, it is saved.
    assert TOKEN.findall(refused.content.decode()) == [token]
    assert not m.FormSubmission.objects.filter(token=token).exists()
    saved = client.post(url, {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Mit Zahl",
                              "direction": "senkung", SUBMISSION_FIELD: token})
    assert saved.status_code == 302
    assert world.agreement.goals.filter(title="Mit Zahl").count() == 1


def test_it_refuses_a_token_of_another_form_or_of_a_deleted_record(world, login):
    client = login(world.users.editor)
    goal_url = reverse("goal_add", args=[world.agreement.pk])
    token = _open(client, goal_url)
    data = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Einmal", "direction": "senkung"}
    assert client.post(goal_url, {**data, SUBMISSION_FIELD: token}).status_code == 302

    # The token sent with another form (a statement: the county, am Zug, does not propose): nothing is created,
    # the form says so and carries a new token.
    statement_url = reverse("statement_add", args=[world.agreement.pk])
    statements = world.agreement.statements.count()
    response = client.post(statement_url, {"party": world.liga.pk, "date": "2012-01-23", "title": "Stellungnahme",
                                           "text": "Die Liga regt an …", SUBMISSION_FIELD: token})
    assert response.status_code == 200 and "bereits abgeschickt" in response.content.decode()
    assert world.agreement.statements.count() == statements
    renewed = TOKEN.findall(response.content.decode())
    assert len(renewed) == 1 and renewed != [token]

    # The goal was deleted since: sending the old form again does not bring it back unasked.
    world.agreement.goals.get(title="Einmal").delete()
    response = client.post(goal_url, {**data, SUBMISSION_FIELD: token})
    assert response.status_code == 200 and "bereits abgeschickt" in response.content.decode()
    assert not world.agreement.goals.filter(title="Einmal").exists()
    response = client.post(goal_url, {**data, SUBMISSION_FIELD: TOKEN.findall(response.content.decode())[0]})
    assert response.status_code == 302 and world.agreement.goals.filter(title="Einmal").count() == 1


def test_it_keeps_tokens_apart_per_user(world, login):
    """Two editors of the county (am Zug: only its editors write goals) send the same token value."""
    colleague = make_user("colleague", world.county)
    url = reverse("goal_add", args=[world.agreement.pk])
    data = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "direction": "senkung",
            SUBMISSION_FIELD: "derselbe-wert"}
    assert login(world.users.editor).post(url, {**data, "title": "Kreis"}).status_code == 302
    assert login(colleague).post(url, {**data, "title": "Kollegin"}).status_code == 302
    assert set(world.agreement.goals.values_list("title", flat=True)) >= {"Kreis", "Kollegin"}


def test_it_saves_a_form_sent_without_a_token(world, login):
    """A script (or an old page still open from before the update) sends no token: saved as before."""
    url = reverse("goal_add", args=[world.agreement.pk])
    data = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Ohne", "direction": "senkung"}
    client = login(world.users.editor)
    assert client.post(url, data).status_code == 302
    assert world.agreement.goals.filter(title="Ohne").count() == 1
    assert not m.FormSubmission.objects.exists()


def test_edit_forms_carry_no_token(world, login):
    response = login(world.users.editor).get(reverse("goal_edit", args=[world.agreement.pk, world.goal.pk]))
    assert SUBMISSION_FIELD not in response.content.decode()


# --- Buttons that create a record ---------------------------------------------------------------------------------

# url name, url args → (status in which the button is shown)
CREATE_BUTTONS = {
    "agreement_amend": ([], m.Agreement.Status.SIGNED),
    "agreement_derive": (["next_year"], m.Agreement.Status.NEGOTIATION),
    "agreement_derive:jobcenter": (["jobcenter"], m.Agreement.Status.NEGOTIATION),
}


@pytest.mark.parametrize("name", CREATE_BUTTONS)
def test_it_creates_once_when_a_create_button_is_clicked_twice(world, login, name):
    extra, status = CREATE_BUTTONS[name]
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    client = login(world.users.editor)
    url = reverse(name.split(":")[0], args=[world.agreement.pk, *extra])
    page = client.get(reverse("agreement_detail", args=[world.agreement.pk])).content.decode()
    # The button's form carries its own token.
    form = page.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]
    [token] = TOKEN.findall(form)
    before = m.Agreement.objects.count()

    first = client.post(url, {SUBMISSION_FIELD: token})
    second = client.post(url, {SUBMISSION_FIELD: token})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] != reverse("agreement_detail", args=[world.agreement.pk])
    assert m.Agreement.objects.count() == before + 1
    assert "bereits gespeichert" in _messages(second)


# --- At the same moment ----------------------------------------------------------------------------------------

PARALLEL = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_creates_one_goal_for_parallel_submissions_on_postgresql(postgres, world):
    import threading

    url = reverse("goal_add", args=[world.agreement.pk])
    opener = Client()
    opener.force_login(world.users.editor)
    token = _open(opener, url)
    data = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Parallel", "direction": "senkung",
            SUBMISSION_FIELD: token}
    barrier = threading.Barrier(PARALLEL)
    statuses, errors = [], []

    def post():
        from django.db import connection as own

        try:
            client = Client()
            client.force_login(world.users.editor)
            barrier.wait(timeout=30)
            statuses.append(client.post(url, data).status_code)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            own.close()

    threads = [threading.Thread(target=post, daemon=True) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert statuses == [302] * PARALLEL
    assert world.agreement.goals.filter(title="Parallel").count() == 1


def test_it_creates_one_goal_for_parallel_submissions_on_a_sqlite_file(sqlite_file):
    result = sqlite_race.child("submit", sqlite_file, PARALLEL)
    assert result["hung"] == 0 and result["errors"] == [], result
    assert result["outcomes"] == [302] * PARALLEL, result
    assert result["goals"] == 1, result
