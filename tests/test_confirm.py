"""Irreversible actions ask first (views.base.ask_first, templates/confirm.html): sending a Fassung, accepting it,
signing, refusing to sign, releasing a Vorlage, deleting a section, goal or offer.

Per action: the POST that starts it (the form or button as the page sends it) changes nothing and answers with the
confirmation page, which says what will happen in this case and carries the posted values in hidden fields; only
the POST with the confirmation acts. Whoever may not act gets the same refusal as for the action itself, never
the question. The confirming POST's values are validated again. The page needs the same number of queries
whatever the amount of data, and works without script.
"""

import datetime
import re
from html import unescape
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from agreements import models as m
from agreements.forms.base import LockedForm, submit_once
from agreements.services import versions as version_svc
from agreements.views.base import CONFIRM_FIELD, CONFIRM_VALUE, Confirmation, ask_first

from .builders_confirm import CONFIRMED, confirmed, is_confirmation
from .builders_files import pdf_bytes
from .vorlage_builders import make_vorlage, vorlage_world

pytestmark = pytest.mark.django_db

A = m.Agreement.Status
SIGN_DATA = {"signatory_name": "Thomas Hendele", "signatory_function": "Landrat", "date": "2013-04-02",
             "place": "Mettmann"}
REASON = {"reason": "Die Ziele sind noch nicht abgestimmt."}
MINISTRY = "Ministerium für Arbeit, Integration und Soziales"


@pytest.fixture(autouse=True)
def _quick_pdfs(monkeypatch):
    """WeasyPrint is tested elsewhere: a release only needs some PDF."""
    import hashlib

    from agreements.pdf.render import RenderedPdf

    def render(html, *args, **kwargs):
        content = pdf_bytes()
        return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), html="")

    monkeypatch.setattr("agreements.pdf.render.pdf_from_html", render)


def fassung_for_the_ministry(w):
    """The county, am Zug, sends its working text as Fassung 2: the ministry received it and may accept it."""
    version_svc.send_draft(user=w.users.editor, agreement=w.agreement)
    w.agreement.refresh_from_db()


def agreed(w):
    m.Agreement.objects.filter(pk=w.agreement.pk).update(status=A.AGREED)
    w.agreement.refresh_from_db()


def a_vorlage(w):
    w.vw = vorlage_world(w)
    w.vorlage = make_vorlage(w.vw, agreement=w.agreement, name="Zielsteuerung 2013")
    m.Agreement.objects.filter(pk=w.agreement.pk).update(status=A.SIGNED)  # a Vorlage reports a signed agreement


def a_vorlage_in_consultation(w):
    """A non-public Vorlage in the Kreisausschuss (whose member the committee user is not), in Beratung: postponed
    in one meeting, decided in the next, so every committee has dealt with it."""
    w.vw = vorlage_world(w)
    w.vorlage = in_consultation(w.vw, consultations=2)


def in_consultation(vw, consultations):
    vorlage = make_vorlage(vw, status=m.Vorlage.Status.IN_CONSULTATION, public=False, committee=vw.second_committee,
                           consultations=consultations, name="Zielsteuerung 2013")
    m.Consultation.objects.filter(paper=vorlage).update(result=m.Consultation.Result.DECIDED)
    first = vorlage.consultations.order_by("order").first()
    m.Consultation.objects.filter(pk=first.pk).update(result=m.Consultation.Result.POSTPONED)
    return vorlage


def detail(w):
    return reverse("agreement_detail", args=[w.agreement.pk])


# name → how the world is made ready, who acts, the URL, the POST that starts the action, the page the way back
# leads to, what the confirmation page says (lines of its text), and what the confirmed POST must have done.
CASES = {
    "draft_send": SimpleNamespace(
        prepare=lambda w: None, actor="editor", other="ministry",
        url=lambda w: reverse("draft_send", args=[w.agreement.pk]), data=lambda w: {"note": "Unser Stand"},
        back=lambda w: reverse("agreement_versions", args=[w.agreement.pk]),
        says=lambda w: [f"Fassung 2 wird an {MINISTRY} übersandt",
                        f"Danach ist {MINISTRY} am Zug. Ihre Stelle kann den Text erst wieder bearbeiten, wenn sie "
                        "eine Fassung zurückerhält", "Anmerkung zur Übersendung: „Unser Stand“"],
        done=lambda w: w.agreement.versions.filter(number=2, note="Unser Stand").exists()
        and m.Agreement.objects.get(pk=w.agreement.pk).pen_party_id == w.ministry.pk,
    ),
    "agreement_agree": SimpleNamespace(
        prepare=fassung_for_the_ministry, actor="ministry", other="editor",
        url=lambda w: reverse("agreement_agree", args=[w.agreement.pk]), data=lambda w: {"note": "Endfassung"},
        back=detail,
        says=lambda w: [f"{MINISTRY} nimmt Fassung 2 an, die Kreis Mettmann am "
                        f"{timezone.localdate():%d.%m.%Y} übersandt hat, genau so, wie sie übersandt wurde.",
                        "Damit ist der Text abgestimmt: Fassung 2 wird unverändert als Endfassung festgehalten, "
                        "unter der nächsten Nummer der Fassungen."],
        done=lambda w: m.Agreement.objects.get(pk=w.agreement.pk).status == A.AGREED
        and w.agreement.versions.get(kind=m.AgreementVersion.Kind.FINAL).note == "Endfassung",
    ),
    "agreement_sign": SimpleNamespace(
        prepare=agreed, actor="editor", other="reader",
        url=lambda w: reverse("agreement_sign", args=[w.agreement.pk]), data=lambda w: SIGN_DATA, back=detail,
        says=lambda w: ["Für Kreis Mettmann unterzeichnet Thomas Hendele (Landrat), am 02.04.2013 in Mettmann.",
                        f"Danach fehlt noch die Unterschrift von {MINISTRY}."],
        done=lambda w: list(m.Signature.objects.values_list("party", "signatory_name")) == [
            (w.county.pk, "Thomas Hendele")],
    ),
    "agreement_refuse": SimpleNamespace(
        prepare=agreed, actor="editor", other="reader",
        url=lambda w: reverse("agreement_refuse", args=[w.agreement.pk]), data=lambda w: REASON, back=detail,
        says=lambda w: ["Kreis Mettmann lehnt die Unterzeichnung der abgestimmten Zielvereinbarung ab. Begründung: "
                        "„Die Ziele sind noch nicht abgestimmt.“", "„nicht unterzeichnet“"],
        done=lambda w: m.Agreement.objects.get(pk=w.agreement.pk).status == A.NOT_SIGNED,
    ),
    "section_delete": SimpleNamespace(
        prepare=lambda w: None, actor="editor", other="ministry",
        url=lambda w: reverse("section_delete", args=[w.agreement.pk, w.section.pk]), data=lambda w: {},
        back=detail,
        says=lambda w: ["Der Abschnitt „§ 1 Gegenstand“ wird aus dem Arbeitsstand gelöscht.",
                        "Bereits übersandte Fassungen bleiben unverändert.",
                        "Das Löschen lässt sich nicht rückgängig machen."],
        done=lambda w: not m.AgreementSection.objects.filter(pk=w.section.pk).exists(),
    ),
    "goal_delete": SimpleNamespace(
        prepare=lambda w: None, actor="editor", other="ministry",
        url=lambda w: reverse("goal_delete", args=[w.agreement.pk, w.goal.pk]), data=lambda w: {},
        back=lambda w: reverse("agreement_goals", args=[w.agreement.pk]) + f"#ziel-{w.goal.pk}",
        says=lambda w: ["Das Ziel „Senkung der KdU“ wird aus dem Arbeitsstand gelöscht."],
        done=lambda w: not m.Goal.objects.filter(pk=w.goal.pk).exists(),
    ),
    "offer_delete": SimpleNamespace(
        prepare=lambda w: None, actor="editor", other="ministry",
        url=lambda w: reverse("offer_delete", args=[w.agreement.pk, w.offer.pk]), data=lambda w: {},
        back=lambda w: reverse("agreement_offers", args=[w.agreement.pk]) + f"#angebot-{w.offer.pk}",
        says=lambda w: ["Das Unterstützungsangebot „Beratung“ wird aus dem Arbeitsstand gelöscht."],
        done=lambda w: not m.SupportOffer.objects.filter(pk=w.offer.pk).exists(),
    ),
    "vorlage_release": SimpleNamespace(
        prepare=a_vorlage, actor="editor", other="reader",
        url=lambda w: reverse("vorlage_release", args=[w.vorlage.pk]), data=lambda w: {},
        back=lambda w: reverse("vorlage_detail", args=[w.vorlage.pk]),
        says=lambda w: [f"Die Vorlage {w.vorlage.reference} wird freigegeben: Ihr Inhalt wird festgeschrieben",
                        "Danach kann die Vorlage nicht mehr bearbeitet werden",
                        "Sie ist öffentlich: Danach kann sie jeder ohne Anmeldung lesen.",
                        "Beratungsfolge: Sozialausschuss"],
        done=lambda w: m.Vorlage.objects.get(pk=w.vorlage.pk).status == m.Vorlage.Status.RELEASED,
    ),
    "vorlage_complete": SimpleNamespace(
        prepare=a_vorlage_in_consultation, actor="editor", other="reader",
        url=lambda w: reverse("vorlage_complete", args=[w.vorlage.pk]), data=lambda w: {},
        back=lambda w: reverse("vorlage_detail", args=[w.vorlage.pk]),
        says=lambda w: [f"Die Vorlage {w.vorlage.reference} wird als erledigt abgeschlossen: Ihre Beratung in den "
                        "Gremien ist damit beendet.", "Erfasst sind diese Ergebnisse der Beratungsfolge:",
                        f"Kreisausschuss, {w.vorlage.consultations.first().meeting_date:%d.%m.%Y}: vertagt",
                        f"Kreisausschuss, {w.vorlage.consultations.first().meeting_date:%d.%m.%Y}: beschlossen",
                        "Danach werden keine Ergebnisse mehr erfasst oder geändert"],
        done=lambda w: m.Vorlage.objects.get(pk=w.vorlage.pk).status == m.Vorlage.Status.DONE,
    ),
}


def state():
    """Everything one of the actions could change."""
    return {
        "agreements": list(m.Agreement.objects.order_by("pk").values_list("status", "pen_party", "status_reason")),
        "versions": m.AgreementVersion.objects.count(), "acceptances": m.Acceptance.objects.count(),
        "signatures": m.Signature.objects.count(), "sections": m.AgreementSection.objects.count(),
        "goals": m.Goal.objects.count(), "offers": m.SupportOffer.objects.count(),
        "proposals": list(m.Proposal.objects.order_by("pk").values_list("section", "goal")),
        "steps": m.ProcedureStep.objects.count(), "documents": m.Document.objects.count(),
        "vorlagen": list(m.Vorlage.objects.order_by("pk").values_list("status", "main_file")),
        "consultations": list(m.Consultation.objects.order_by("pk").values_list("result")),
    }


def text_of(response):
    """The page's text as a reader sees it: tags dropped, entities and runs of white space undone."""
    html = response.content.decode()
    plain = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&quot;", '"'), ("&#x27;", "'"), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")):
        plain = plain.replace(entity, char)
    return " ".join(plain.split())


def hidden_fields(response):
    html = response.content.decode()
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)


def messages_of(response):
    return [str(msg) for msg in get_messages(response.wsgi_request)]


def setup(world, name):
    case = CASES[name]
    case.prepare(world)
    return case, case.url(world)


# Asking ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_it_asks_first_and_changes_nothing(world, login, name):
    case, url = setup(world, name)
    before = state()
    response = login(getattr(world.users, case.actor)).post(url, case.data(world))
    assert is_confirmation(response), response.status_code
    assert state() == before
    text = text_of(response)
    for sentence in case.says(world):
        assert sentence in text, f"{sentence!r} not in {text!r}"
    html = response.content.decode()
    # The form posts back to the same address, with the posted values and the confirmation, and leads back.
    assert f'<form method="post" action="{url}"' in html
    fields = hidden_fields(response)
    assert (CONFIRM_FIELD, CONFIRM_VALUE) in fields
    for key, value in case.data(world).items():
        if name != "agreement_agree":  # the note of an acceptance stays editable (below)
            assert (key, escape(value)) in fields, (key, fields)
    assert f'href="{escape(case.back(world))}"' in html and ">Abbrechen</a>" in html


@pytest.mark.parametrize("name", CASES)
def test_it_acts_on_the_confirmed_post_only(world, login, name):
    case, url = setup(world, name)
    client = login(getattr(world.users, case.actor))
    assert not case.done(world)
    response = client.post(url, confirmed(case.data(world)))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert case.done(world)
    assert messages_of(response) and not any("nicht" in msg and "möglich" in msg for msg in messages_of(response))


@pytest.mark.parametrize("name", CASES)
def test_it_confirms_what_the_page_posts(world, login, name):
    """The confirmation page's own form, sent as it is, does the action: its hidden fields are complete."""
    case, url = setup(world, name)
    client = login(getattr(world.users, case.actor))
    page = client.post(url, case.data(world))
    data = dict(hidden_fields(page))
    data.pop("csrfmiddlewaretoken", None)
    if name == "agreement_agree":
        assert re.search(r'<textarea name="note"[^>]*>\s*Endfassung</textarea>', page.content.decode())
        data["note"] = "Endfassung"
    response = client.post(url, {key: unescape(value) for key, value in data.items()})
    assert response.status_code == 302
    assert case.done(world)


def test_it_shows_the_acceptance_page_as_the_confirmation(world, login):
    """The link "Fassung 2 annehmen" opens the confirmation itself: what accepting does, the note to add."""
    fassung_for_the_ministry(world)
    client = login(world.users.ministry)
    response = client.get(reverse("agreement_agree", args=[world.agreement.pk]))
    assert is_confirmation(response)
    assert response.context["confirmation"].title == "Fassung 2 annehmen"
    text = text_of(response)
    assert "nimmt Fassung 2 an, die Kreis Mettmann am" in text
    assert "Die Annahme wird mit Ihrem Namen und der Uhrzeit im Verfahren vermerkt" in text
    assert re.search(r'<label\s+for="id_note"', response.content.decode())
    assert "Fassung verbindlich annehmen</button>" in response.content.decode()


def test_it_says_who_else_must_accept_in_a_trilateral_agreement(world, login):
    jobcenter_editor = m.Membership.objects.create(
        user=world.users.outsider, party=world.jobcenter, role=m.Membership.Role.EDITOR).user
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.jobcenter, role="jobcenter", order=2)
    fassung_for_the_ministry(world)
    response = login(world.users.ministry).get(reverse("agreement_agree", args=[world.agreement.pk]))
    text = text_of(response)
    assert "Abgestimmt ist der Text erst, wenn auch Jobcenter ME-aktiv Fassung 2 angenommen hat." in text
    assert "als Endfassung festgehalten" not in text
    # The last one to accept is told that the text is agreed with it.
    login(world.users.ministry).post(reverse("agreement_agree", args=[world.agreement.pk]), CONFIRMED)
    text = text_of(login(jobcenter_editor).get(reverse("agreement_agree", args=[world.agreement.pk])))
    assert "Jobcenter ME-aktiv nimmt Fassung 2 an" in text and "Damit ist der Text abgestimmt" in text


def test_it_says_that_the_last_signature_stores_the_pdf(world, login):
    agreed(world)
    client = login(world.users.editor)
    client.post(reverse("agreement_sign", args=[world.agreement.pk]), confirmed(SIGN_DATA))
    person = m.Person.objects.create(party=world.ministry, given_name="Wilhelm", family_name="Schäffer",
                                     function="Staatssekretär")
    data = {"person": person.pk, "date": "2013-04-05", "place": "Düsseldorf"}
    text = text_of(login(world.users.ministry).post(reverse("agreement_sign", args=[world.agreement.pk]), data))
    assert f"Für {MINISTRY} unterzeichnet Wilhelm Schäffer (Staatssekretär), am 05.04.2013 in Düsseldorf." in text
    assert "Damit haben alle Vereinbarungspartner unterzeichnet" in text and "als PDF erzeugt" in text


def test_it_names_the_proposals_that_lose_their_passage(world, login):
    m.Proposal.objects.filter(pk=world.proposal.pk).update(section=world.section)
    response = login(world.users.editor).post(reverse("section_delete", args=[world.agreement.pk, world.section.pk]))
    assert "Vorschläge, die sich darauf beziehen (1), bleiben erhalten, verlieren aber diesen Bezug." in text_of(
        response)
    response = login(world.users.editor).post(reverse("goal_delete", args=[world.agreement.pk, world.goal.pk]))
    assert "Vorschläge, die sich darauf beziehen" not in text_of(response)


def test_it_states_the_new_status_of_a_first_fassung(world, login):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=A.DRAFT)
    response = login(world.users.editor).post(reverse("draft_send", args=[world.agreement.pk]), {"note": ""})
    text = text_of(response)
    assert "Die Zielvereinbarung ist damit „in Verhandlung“." in text
    assert "Anmerkung zur Übersendung" not in text.split("Was geschieht", 1)[1].split("Fassung 2 übersenden")[0]


# The page itself ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_it_puts_the_question_first_and_needs_no_script(world, login, name):
    case, url = setup(world, name)
    response = login(getattr(world.users, case.actor)).post(url, case.data(world))
    html = response.content.decode()
    main = html.split('<main id="main"', 1)[1]
    # The question is the first thing in the content: a heading the page focuses when it opens.
    first = re.search(r"<(h1|h2|p|form|div|ul|section)\b[^>]*>", main.split(">", 1)[1])
    assert first.group(0).startswith("<section")
    assert re.match(r'\s*<h1 class="h3" id="confirm-heading" tabindex="-1" autofocus>',
                    main.split("<section", 1)[1].split(">", 1)[1])
    # One button, a real submit button, and no script or inline style anywhere (strict CSP).
    form = main.split('<form method="post" action="' + url, 1)[1].split("</form>", 1)[0]
    assert form.count("<button") == 1 and 'type="submit"' in form
    assert "<script" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html)


def test_it_shows_what_users_wrote_as_text(world, login):
    m.AgreementSection.objects.filter(pk=world.section.pk).update(heading='§ 4 <script>alert("x")</script>')
    response = login(world.users.editor).post(reverse("section_delete", args=[world.agreement.pk, world.section.pk]))
    html = response.content.decode()
    assert "<script" not in html
    assert "§ 4 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# Who may not act is refused, never asked ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("outsider", 404), ("committee", 404),
                                            ("reader", 403), ("admin", 403)])
@pytest.mark.parametrize("confirm", [False, True], ids=["asked", "confirmed"])
def test_it_refuses_who_may_not_act_as_for_the_action(world, login, name, role, expected, confirm):
    case, url = setup(world, name)
    before = state()
    data = confirmed(case.data(world)) if confirm else case.data(world)
    response = login(getattr(world.users, role)).post(url, data)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert state() == before


# The other party while it is not its turn: sent back with the reason, as for the action itself.
NOT_NOW = {
    "draft_send": "Am Zug ist Kreis Mettmann",
    "agreement_agree": "Fassung 2 hat Ihre Stelle selbst übersandt",
    "section_delete": "Am Zug ist Kreis Mettmann",
    "goal_delete": "Am Zug ist Kreis Mettmann",
    "offer_delete": "Am Zug ist Kreis Mettmann",
}


@pytest.mark.parametrize("name", NOT_NOW)
@pytest.mark.parametrize("confirm", [False, True], ids=["asked", "confirmed"])
def test_it_sends_back_the_party_whose_turn_it_is_not_without_asking(world, login, name, confirm):
    case, url = setup(world, name)
    before = state()
    data = confirmed(case.data(world)) if confirm else case.data(world)
    response = login(getattr(world.users, case.other)).post(url, data)
    assert response.status_code == 302 and not is_confirmation(response)
    assert any(NOT_NOW[name] in msg for msg in messages_of(response)), messages_of(response)
    assert state() == before


@pytest.mark.parametrize("name", ["agreement_sign", "agreement_refuse", "vorlage_release", "vorlage_complete"])
@pytest.mark.parametrize("confirm", [False, True], ids=["asked", "confirmed"])
def test_it_refuses_an_action_the_state_does_not_allow_without_asking(world, login, name, confirm):
    case, url = setup(world, name)
    if name.startswith("vorlage"):
        m.Vorlage.objects.filter(pk=world.vorlage.pk).update(status=m.Vorlage.Status.WITHDRAWN)
    else:
        m.Agreement.objects.filter(pk=world.agreement.pk).update(status=A.NEGOTIATION)
    before = state()
    data = confirmed(case.data(world)) if confirm else case.data(world)
    response = login(getattr(world.users, case.actor)).post(url, data)
    assert response.status_code == 302 and response["Location"] == case.back(world)
    assert any("nicht möglich" in msg for msg in messages_of(response)), messages_of(response)
    assert state() == before


@pytest.mark.parametrize("confirm", [False, True], ids=["asked", "confirmed"])
@pytest.mark.parametrize("result", ["", "vertagt"])
def test_it_does_not_ask_to_complete_before_every_committee_has_dealt_with_the_paper(world, login, confirm, result):
    """A consultation without result, or postponed and not taken up again, is named before anything is asked."""
    case, url = setup(world, "vorlage_complete")
    last = world.vorlage.consultations.order_by("order").last()
    m.Consultation.objects.filter(pk=last.pk).update(result=result)
    before = state()
    response = login(world.users.editor).post(url, CONFIRMED if confirm else {})
    assert response.status_code == 302 and not is_confirmation(response)
    assert response["Location"] == case.back(world)
    expected = "Es fehlt noch das Ergebnis der Beratung in: Kreisausschuss" if not result else (
        "Vertagt wurde die Beratung in: Kreisausschuss")
    assert any(expected in msg for msg in messages_of(response)), messages_of(response)
    assert state() == before


def test_it_does_not_ask_to_send_what_the_other_side_has_already(world, login):
    fassung_for_the_ministry(world)
    m.Agreement.objects.filter(pk=world.agreement.pk).update(pen_party=world.county)  # the pen back, no change
    before = state()
    response = login(world.users.editor).post(reverse("draft_send", args=[world.agreement.pk]), {"note": ""})
    assert response.status_code == 400 and not is_confirmation(response)
    assert "seit Fassung 2 unverändert" in response.content.decode()
    assert state() == before


# What the confirming POST carries is checked again -----------------------------------------------------------------


TAMPERED = [
    ("agreement_sign", {**SIGN_DATA, "date": "2099-01-01"}, "Das Datum der Unterschrift liegt in der Zukunft."),
    ("agreement_sign", {**SIGN_DATA, "place": ""}, "Dieses Feld ist zwingend erforderlich."),
    ("agreement_sign", {**SIGN_DATA, "signatory_name": "", "signatory_function": ""},
     "Bitte wählen Sie eine Person oder tragen Sie Name und Funktion"),
    ("agreement_refuse", {"reason": "  "}, "Dieses Feld ist zwingend erforderlich."),
    ("agreement_agree", {"note": "x" * 2001}, "höchstens 2000 Zeichen"),
    ("draft_send", {"note": "x" * 2001}, "höchstens 2000 Zeichen"),
]


@pytest.mark.parametrize("name, data, error", TAMPERED, ids=[f"{n}-{i}" for i, (n, _d, _e) in enumerate(TAMPERED)])
@pytest.mark.parametrize("confirm", [False, True], ids=["asked", "confirmed"])
def test_it_validates_the_posted_values_before_asking_and_again_when_confirmed(world, login, name, data, error,
                                                                               confirm):
    case, url = setup(world, name)
    before = state()
    response = login(getattr(world.users, case.actor)).post(url, confirmed(data) if confirm else data)
    assert response.status_code in (200, 400) and not is_confirmation(response)
    assert error in response.content.decode()
    assert state() == before


def test_a_fassung_without_goals_is_not_offered_for_acceptance_nor_accepted(world, login):
    """An agreement without goals is not agreed: the rule (transitions._may_accept) hides "annehmen", the next step
    does not offer it, and a confirmed POST is refused before anything is stored."""
    fassung_for_the_ministry(world)
    m.Goal.objects.filter(agreement=world.agreement).delete()
    m.AgreementVersion.objects.filter(agreement=world.agreement, number=2).update(
        snapshot=version_svc.agreement_snapshot(world.agreement))  # no unsent change: the goal went with it
    before = state()
    client = login(world.users.ministry)
    page = client.get(reverse("agreement_detail", args=[world.agreement.pk])).content.decode()
    assert reverse("agreement_agree", args=[world.agreement.pk]) not in page
    assert "enthält aber keine Ziele" in page and "oder nimmt Fassung 2 an" not in page
    response = client.post(reverse("agreement_agree", args=[world.agreement.pk]), CONFIRMED)
    assert response.status_code == 302 and not is_confirmation(response)
    assert "Eine Zielvereinbarung ohne Ziele kann nicht abgestimmt werden." in " ".join(
        str(message) for message in get_messages(response.wsgi_request))
    assert state() == before


def test_it_refuses_a_signatory_of_another_party_slipped_into_the_confirmation(world, login):
    agreed(world)
    foreign = m.Person.objects.create(party=world.ministry, given_name="Wilhelm", family_name="Schäffer",
                                      function="Staatssekretär")
    before = state()
    response = login(world.users.editor).post(reverse("agreement_sign", args=[world.agreement.pk]), confirmed(
        {**SIGN_DATA, "person": foreign.pk}))
    assert response.status_code == 200 and "person" in response.context["form"].errors
    assert state() == before


@pytest.mark.parametrize("value", ["", "ja", "YES", "1"])
def test_it_takes_nothing_but_the_confirmation_for_one(world, login, value):
    before = state()
    response = login(world.users.editor).post(reverse("section_delete", args=[world.agreement.pk, world.section.pk]),
                                              {CONFIRM_FIELD: value})
    assert is_confirmation(response)
    assert state() == before


def test_it_answers_a_second_confirmation_with_the_refusal(world, login):
    client = login(world.users.editor)
    url = reverse("draft_send", args=[world.agreement.pk])
    assert client.post(url, confirmed({"note": "a"})).status_code == 302
    before = state()
    response = client.post(url, confirmed({"note": "a"}))
    assert response.status_code == 302 and "Am Zug ist" in " ".join(messages_of(response))
    assert state() == before


def test_it_carries_the_tokens_of_a_form_and_nothing_it_does_not_know():
    request = RequestFactory().post("/x/", {"lock_version": "3", "submission_token": "abc", "evil": "x"})
    request.user = SimpleNamespace(is_authenticated=False)
    confirmation = Confirmation(title="Löschen?", consequences=("Es wird gelöscht.",), submit="Löschen",
                                back_url="/zurueck/")
    form = submit_once(LockedForm(request.POST))
    assert form.is_valid()
    response = ask_first(request, confirmation, form=form)
    html = response.content.decode()
    assert '<input type="hidden" name="lock_version" value="3">' in html
    assert '<input type="hidden" name="submission_token" value="abc">' in html
    assert 'name="evil"' not in html
    assert ask_first(RequestFactory().post("/x/", {**request.POST.dict(), **CONFIRMED}), confirmation) is None


# Queries -----------------------------------------------------------------------------------------------------------


def sized(world, size):
    """A new agreement of the county with the ministry with `size` sections, goals, offers and proposals on the
    first section and goal, and `size` earlier Fassungen; the world's agreement is that one from now on."""
    agreement = m.Agreement.objects.create(title=f"ZV {size}", year=2013, status=A.NEGOTIATION)
    m.AgreementParty.objects.create(agreement=agreement, party=world.ministry, role="land", order=0)
    m.AgreementParty.objects.create(agreement=agreement, party=world.county, role="kommunaler_traeger", order=1)
    for i in range(size):
        section = m.AgreementSection.objects.create(agreement=agreement, order=i, heading=f"§ {i}", text="Text")
        goal = m.Goal.objects.create(agreement=agreement, order=i, title=f"Ziel {i}", kind="qualitativ")
        offer = m.SupportOffer.objects.create(agreement=agreement, topic=world.topic, title=f"Angebot {i}", order=i)
        m.AgreementVersion.objects.create(agreement=agreement, number=i + 1, author_party=world.ministry,
                                          sent_at=datetime.datetime(2013, 1, 1, tzinfo=datetime.UTC), snapshot={})
        if i == 0:
            world.section, world.goal, world.offer = section, goal, offer
        m.Proposal.objects.create(agreement=agreement, party=world.ministry, text=f"Vorschlag {i}",
                                  section=world.section, goal=world.goal)
    world.agreement = agreement
    return world


# Upper bounds, a little above today's counts: access, the state rule (for an acceptance: the working text against
# the Fassung), and what the page names; for signing also the signing setup (services.signing.missing_setup: the
# active TSA and the parties' keys in one query), asked by the rule (the parties' order) and by the page.
# Signing on paper also reads the day the text was agreed (services.lifecycle.agreed_on), the earliest date.
# Releasing also reads the Beratungsfolge before it asks (services.vorlagen.release_problem: none is a refusal).
QUERY_LIMITS = {"draft_send": 16, "agreement_agree": 19, "agreement_sign": 11, "agreement_refuse": 9,
                "section_delete": 10, "goal_delete": 10, "offer_delete": 9, "vorlage_release": 9,
                "vorlage_complete": 9}


@pytest.mark.parametrize("name", CASES)
def test_it_asks_with_the_same_number_of_queries_for_2_and_12_records(world, login, name):
    counts = []
    case = CASES[name]
    for size in (2, 12):
        sized(world, size)
        if not name.startswith("vorlage"):
            case.prepare(world)
        elif size == 2:
            world.vw = vorlage_world(world)
        if name == "vorlage_release":
            world.vorlage = make_vorlage(world.vw, agreement=world.agreement, consultations=size)
            m.Agreement.objects.filter(pk=world.agreement.pk).update(status=A.SIGNED)
        if name == "vorlage_complete":
            world.vorlage = in_consultation(world.vw, consultations=size)
        url = case.url(world)
        client = login(getattr(world.users, case.actor))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, case.data(world))
        assert is_confirmation(response)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], f"{name}: {counts[0]} queries with 2 records, {counts[1]} with 12"
    assert counts[0] <= QUERY_LIMITS[name], f"{name}: {counts[0]} queries"
