"""axe-core (WCAG 2.0/2.1 A and AA) on every page of the journeys, for every role, plus the structure each page
must have: one h1, a <main>, <html lang>, a title, and error messages tied to their fields.

One test per role: it loads the demo case, prepares what the role's pages need, visits them all in one browser
tab and asserts once at the end, so a failure lists every problem with rule, impact, targets and help URL.

The county editor's pages are visited a second time in English (chosen with the language switch): the same checks,
and no German interface string of the catalogue outside quoted record content (language.py). What the steps type
and click is named through gettext (`t`), so the same steps find "Save" where the German page says "Speichern".
"""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from django.utils import timezone, translation  # noqa: E402
from django.utils.translation import gettext as t  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from .a11y import Audit, axe_source  # noqa: E402
from .a11y_steps import (  # noqa: E402
    agreed_for_electronic_signing,
    call,
    demo_tsa,
    electronic_sign_form,
    ministry_signs_electronically,
    narrow,
    signature_check,
    signed_amendment_pages,
    submit,
    visit,
)
from .helpers import MAIS, choose_language, field, main, named  # noqa: E402
from .language import german_interface_strings, german_leaks  # noqa: E402

# --- Test data beyond the demo case ---------------------------------------------------------------------------


def _world(demo):
    from django.contrib.auth import get_user_model

    from agreements import models as m
    from agreements.data.demo import signed_amendment

    users = {u.username: u for u in get_user_model().objects.all()}
    a12 = demo.agreement
    jobcenter = m.Agreement.objects.get(agreement_parties__party__key="jobcenter-kreis-mettmann", year=2012,
                                        status=m.Agreement.Status.DRAFT)
    neuss = m.Agreement.objects.get(agreement_parties__party__key="rhein-kreis-neuss", year=2012)
    return SimpleNamespace(
        users=users, a12=a12, jobcenter=jobcenter, neuss=neuss, vorlage=demo.vorlage,
        nachtrag=signed_amendment.find(a12),
        department=m.Department.objects.get(party__key="kreis-mettmann", number="50"),
        author=m.Person.objects.get(user=users["kreis-editor"]),
        committee=m.Committee.objects.get(party__key="kreis-mettmann", name="Sozialausschuss"),
    )


def _future_meeting(world):
    from agreements import models as m

    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=10),
                                                          datetime.time(15, 0)))
    return m.Meeting.objects.create(committee=world.committee, start=start, location="Kreishaus Mettmann")


def _draft_vorlage(world, meeting=None):
    """A Vorlage written from the 2012 agreement, with the Sozialausschuss in its Beratungsfolge."""
    from agreements.models import Consultation
    from agreements.services import vorlagen as svc

    editor = world.users["kreis-editor"]
    vorlage = svc.create_vorlage_from_agreement(user=editor, agreement=world.a12, department=world.department,
                                                author=world.author, date=timezone.localdate())
    svc.save_consultation(user=editor, vorlage=vorlage, data={
        "committee": world.committee, "meeting": meeting,
        "meeting_date": None if meeting else timezone.localdate() + datetime.timedelta(days=30),
        "role": Consultation.Role.NOTICE, "authoritative": True,
    })
    return vorlage


def _released_vorlage(world):
    from agreements.services import vorlagen as svc

    vorlage = _draft_vorlage(world, meeting=_future_meeting(world))
    svc.release(user=world.users["kreis-editor"], vorlage=vorlage)
    return vorlage


# --- Steps (a11y_steps.py) and the pages they visit ------------------------------------------------------------


# The tabs of an agreement page and their paths below /vereinbarungen/<pk>/.
AGREEMENT_TABS = {
    "Überblick": "", "Ziele": "ziele/", "Unterstützungsangebote": "angebote/", "Fassungen": "fassungen/",
    "Vorschläge": "vorschlaege/", "Stellungnahmen": "stellungnahmen/", "Verfahren": "verfahren/",
    "Schreiben": "schreiben/", "Dokumente": "dokumente/", "Zielnachhaltung": "nachhaltung/", "Historie": "historie/",
}


def tabs(base, names=tuple(AGREEMENT_TABS), state=None):
    """The tabs `names` of the agreement at `base`; `state` names the agreement's state in the labels."""
    return [visit(f"{name} ({state})" if state else name, base + AGREEMENT_TABS[name]) for name in names]


def agreement_pages(a, versions):
    """Every tab of an agreement, a sent version and the redline in every view (the changes in the text and side by
    side, the new and the old text alone), on the compare page and on the version's page."""
    base = f"/vereinbarungen/{a.pk}/"
    first, last = versions[0], versions[-1]
    compare = base + f"fassungen/vergleich/?a={first}&b={last}&mode="
    detail = base + f"fassungen/{last}/"
    return [
        *tabs(base),
        visit("Fassung", detail),
        visit("Fassung, Änderungen im Text", detail + "?mode=inline"),
        visit("Fassung, Änderungen nebeneinander", detail + "?mode=side"),
        visit("Fassung, nur der alte Text", detail + "?mode=old"),
        visit("Fassung, unbekannte Darstellung", detail + "?mode=bunt", status=400),
        visit("Vergleich (leer)", base + "fassungen/vergleich/"),
        visit("Vergleich im Text", compare + "inline"),
        visit("Vergleich nebeneinander", compare + "side"),
        visit("Vergleich, nur der neue Text", compare + "new"),
        visit("Vergleich, nur der alte Text", compare + "old"),
        visit("Vergleich mit Fehlern", base + f"fassungen/vergleich/?a=99&b={last}", status=400, errors=True),
    ]


def record_forms(base):
    """The forms that add to the record of the agreement at `base`: a letter, a procedure step, a document."""
    return [
        visit("Schreiben erfassen", base + "schreiben/neu/"),
        visit("Verfahrensschritt erfassen", base + "verfahren/neu/"),
        visit("Dokument hochladen", base + "dokumente/neu/"),
    ]


def common_pages():
    return [
        visit("Übersicht", "/"),
        visit("Zielvereinbarungen", "/vereinbarungen/"),
        visit("Zielvereinbarungen, Filter mit Fehlern", "/vereinbarungen/?year=1900", errors=True),
        visit("Vorlagen", "/vorlagen/"),
        visit("Öffentliche Vorlagen", "/vorlagen/oeffentlich/"),
        visit("Meine Sitzungsunterlagen", "/vorlagen/sitzungsunterlagen/"),
        visit("Statustafel", "/uebersicht/tafel/"),
        visit("Vergleich der Kreise", "/uebersicht/vergleich/"),
        visit("Suche mit Treffern", "/suche/?q=Mettmann"),
        visit("Suche ohne Treffer", "/suche/?q=Zahnpasta"),
        visit("Passwort ändern", "/passwort/"),
        submit("Passwort ändern mit Fehlern", "/passwort/", _wrong_passwords, t("Passwort ändern")),
        visit("Benachrichtigungen", "/konto/benachrichtigungen/"),
    ]


def _wrong_passwords(page):
    # Django's own form: its labels are Django's English msgids.
    field(page, t("Old password")).fill("falsch")
    field(page, t("New password")).fill("kurz")
    field(page, t("New password confirmation")).fill("anders")


def _versions(agreement):
    return list(agreement.versions.order_by("number").values_list("number", flat=True))


def _vorlage_reading(vorlage):
    return visit(f"Vorlage {vorlage.reference}", f"/vorlagen/{vorlage.pk}/")


# --- The pages of each role -----------------------------------------------------------------------------------


def anonymous_pages(world):
    def empty_login(page):
        pass

    return [
        visit("Anmelden", "/anmelden/"),
        submit("Anmelden mit Fehlern", "/anmelden/", empty_login, "Anmelden"),
        visit("Öffentliche Vorlagen", "/vorlagen/oeffentlich/"),
        _vorlage_reading(world.vorlage),
        visit("Benachrichtigungen abbestellen", _unsubscribe_path(world)),
    ]


def _unsubscribe_path(world):
    """The unsubscribe link of a mail to the county editor (no login needed)."""
    from notifications.tokens import unsubscribe_path

    return unsubscribe_path(world.users["kreis-editor"].pk, "fassung_received")


def _goal_with_errors(page):
    field(page, t("Titel")).fill("Ziel mit Fehlern")
    field(page, t("Referenzwert")).fill("12,5")
    field(page, t("Korridor untere Grenze")).fill("5")
    field(page, t("Korridor obere Grenze")).fill("3")


def _agreement_with_errors(page):
    field(page, t("Titel")).fill("Vereinbarung mit Fehlern")
    field(page, t("Jahr")).fill("2013")
    field(page, t("Laufzeit von")).fill("2013-12-31")
    field(page, t("Laufzeit bis")).fill("2013-01-01")
    field(page, t("Land (Ministerium)")).select_option(label=MAIS)


def kreis_editor_pages(world):
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from agreements import models as m
    from agreements.services import lifecycle, versions

    a12, jc = world.a12, world.jobcenter
    liga = m.Party.objects.get(key="liga-nrw")
    mettmann = m.Party.objects.get(key="kreis-mettmann")
    offer = m.SupportOffer.objects.create(agreement=jc, topic=m.Topic.objects.get(number=1), title="Coaching",
                                          provider=mettmann)
    statement = m.Statement.objects.create(agreement=jc, party=liga, date=datetime.date(2012, 2, 1),
                                           title="Stellungnahme der Liga zum Jobcenter")
    goal = jc.goals.order_by("order", "pk").first()
    section = jc.sections.order_by("order", "pk").first()
    letter = a12.letters.order_by("pk").first()
    step = a12.steps.filter(automatic=False).order_by("pk").first()
    draft = _draft_vorlage(world)
    vsection = draft.sections.order_by("order").first()
    consultation = draft.consultations.get()
    anlage = draft.anlagen.order_by("order").first()
    electronic = agreed_for_electronic_signing(world)
    a, j, v = f"/vereinbarungen/{a12.pk}/", f"/vereinbarungen/{jc.pk}/", f"/vorlagen/{draft.pk}/"
    e = f"/vereinbarungen/{electronic.pk}/"

    def conflict(page, audit):
        page.goto(j + f"ziele/{goal.pk}/")
        m.Goal.objects.filter(pk=goal.pk).update(lock_version=F("lock_version") + 1)  # somebody else saved
        field(page, t("Titel")).fill("Mein Titel")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            main(page).get_by_role("button", name=t("Speichern")).click()
        page.wait_for_load_state()
        if answer.value.status != 409:
            audit.problems.append(f"Bearbeitungskonflikt: HTTP {answer.value.status}, expected 409")
        audit.check(page, "Bearbeitungskonflikt")

    def send():
        versions.send_draft(user=world.users["kreis-editor"], agreement=jc)

    def agree():
        # The Jobcenter, which received the county's Fassung, accepts it (the demo has no Jobcenter account: one
        # is made here).
        jobcenter = get_user_model().objects.create_user("jobcenter-editor-a11y")
        m.Membership.objects.create(user=jobcenter, party=m.Party.objects.get(key="jobcenter-kreis-mettmann"),
                                    role=m.Membership.Role.EDITOR)
        lifecycle.agree(user=jobcenter, agreement=jc)

    def ministry_signed():
        demo_tsa(True)
        ministry_signs_electronically(world, electronic)

    return [
        *common_pages(),
        *agreement_pages(a12, _versions(a12)),
        visit("Neue Zielvereinbarung", "/vereinbarungen/neu/"),
        submit("Neue Zielvereinbarung mit Fehlern", "/vereinbarungen/neu/", _agreement_with_errors, t("Speichern")),
        visit("Zielvereinbarung bearbeiten", j + "bearbeiten/"),
        visit("Abschnitt hinzufügen", j + "abschnitte/neu/"),
        visit("Abschnitt bearbeiten", j + f"abschnitte/{section.pk}/"),
        *tabs(j, ["Ziele", "Unterstützungsangebote", "Fassungen"], "Entwurf"),
        visit("Ziel hinzufügen", j + "ziele/neu/"),
        submit("Ziel hinzufügen mit Fehlern", j + "ziele/neu/", _goal_with_errors, t("Speichern")),
        visit("Ziel bearbeiten", j + f"ziele/{goal.pk}/"),
        conflict,
        visit("Angebot hinzufügen", j + "angebote/neu/"),
        visit("Angebot bearbeiten", j + f"angebote/{offer.pk}/"),
        visit("Stellungnahme erfassen", j + "stellungnahmen/neu/"),
        visit("Stellungnahme bearbeiten", j + f"stellungnahmen/{statement.pk}/"),
        *record_forms(a),
        visit("Schreiben bearbeiten", a + f"schreiben/{letter.pk}/"),
        visit("Verfahrensschritt bearbeiten", a + f"verfahren/{step.pk}/"),
        visit("Zielnachhaltung erfassen", a + "nachhaltung/neu/"),
        visit("Zurückziehen", j + "zurueckziehen/"),
        # Irreversible actions ask first: the confirmation page (templates/confirm.html), nothing done yet.
        submit("Rückfrage: Abschnitt löschen", j, lambda page: None, named(t("Löschen"), section.heading),
               errors=False),
        submit("Rückfrage: Fassung übersenden", j + "fassungen/", lambda page: None, t("Entwurf übersenden"),
               errors=False),
        call(send),
        # The Jobcenter is "am Zug" now: the county proposes.
        visit("Vorschlag einbringen", j + "vorschlaege/neu/"),
        call(agree),
        *tabs(j, ["Überblick"], "abgestimmt"),
        visit("Unterschrift erfassen", j + "unterzeichnen/"),
        visit("Abstimmung aufheben", j + "abstimmung-aufheben/"),
        visit("Unterzeichnung ablehnen", j + "unterzeichnung-ablehnen/"),
        _vorlage_reading(world.vorlage),
        visit("Neue Vorlage", "/vorlagen/neu/"),
        visit("Vorlage zu einer Zielvereinbarung", "/vorlagen/neu/aus-zielvereinbarung/"),
        visit("Vorlage (Entwurf)", v),
        visit("Vorlage bearbeiten", v + "bearbeiten/"),
        visit("Abschnitt der Vorlage hinzufügen", v + "abschnitte/neu/"),
        visit("Abschnitt der Vorlage bearbeiten", v + f"abschnitte/{vsection.pk}/"),
        visit("Beratung hinzufügen", v + "beratungsfolge/neu/"),
        visit("Beratung bearbeiten", v + f"beratungsfolge/{consultation.pk}/"),
        visit("Anlage hinzufügen", v + "anlagen/neu/"),
        visit("Anlage umbenennen", v + f"anlagen/{anlage.pk}/"),
        visit("Vorlage zurückziehen", v + "zurueckziehen/"),
        submit("Rückfrage: Vorlage freigeben", v, lambda page: None, t("Freigeben"), errors=False),
        # Electronic signatures (issue 15): the demo's signed Nachtrag, and one the ministry has signed first.
        *signed_amendment_pages(world),
        call(ministry_signed),
        *tabs(e, ["Überblick"], "vom MAIS NRW elektronisch unterzeichnet"),
        signature_check("Signaturprüfung (1 von 2 Unterschriften)", e, signatures=1),
        *electronic_sign_form(e, "der Kreis ist am Zug", ("Thomas Hendele", "Landrat", "Mettmann")),
        call(lambda: demo_tsa(False)),
    ]


def kreis_reader_pages(world):
    return [
        *common_pages(),
        *agreement_pages(world.a12, _versions(world.a12)),
        *signed_amendment_pages(world),
        _vorlage_reading(world.vorlage),
        *narrow([
            *agreement_pages(world.a12, _versions(world.a12)),
            *common_pages()[:9],
            _vorlage_reading(world.vorlage),
        ]),
    ]


def mais_editor_pages(world):
    from agreements import models as m

    neuss = world.neuss
    n = f"/vereinbarungen/{neuss.pk}/"
    proposal = neuss.proposals.get(decision=m.Proposal.Decision.OPEN)
    goal = neuss.goals.order_by("order", "pk").first()
    electronic = agreed_for_electronic_signing(world)
    e = f"/vereinbarungen/{electronic.pk}/"

    def decision_without_reason(page):
        field(page, "nicht übernommen").check()

    return [
        *common_pages(),
        *agreement_pages(world.a12, _versions(world.a12)),
        *tabs(n, ["Vorschläge", "Ziele", "Fassungen"], "in Verhandlung"),
        visit("Über den Vorschlag entscheiden", n + f"vorschlaege/{proposal.pk}/entscheiden/"),
        submit("Entscheidung mit Fehlern", n + f"vorschlaege/{proposal.pk}/entscheiden/", decision_without_reason,
               "Entscheiden"),
        visit("Ziel bearbeiten", n + f"ziele/{goal.pk}/"),
        visit("Angebot hinzufügen", n + "angebote/neu/"),
        visit("Vergleich mit dem Arbeitsstand", n + "fassungen/vergleich/?a=1&b=aktuell&mode=side"),
        *record_forms(n),
        _vorlage_reading(world.vorlage),
        # Electronic signatures (issue 15): the demo's signed Nachtrag, and an agreed one the ministry signs first.
        *signed_amendment_pages(world),
        call(lambda: demo_tsa(True)),
        *tabs(e, ["Überblick"], "abgestimmt, elektronisch zu unterzeichnen"),
        *electronic_sign_form(e, "das MAIS NRW ist am Zug",
                              ("Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf")),
        call(lambda: demo_tsa(False)),
    ]


def _committee_start_page(label, *, news):
    """The committee member's start page (issue 13): the committees' part with its next and past meetings and the
    papers, and no note about a missing Stelle; with `news`, the list of what is new since the last visit."""

    def step(page, audit):
        visit(label, "/")(page, audit)
        content = main(page)
        for name in ("Meine Gremien", "Neu seit Ihrem letzten Besuch", "Nächste Sitzungen", "Vergangene Sitzungen"):
            if content.get_by_role("heading", name=name, exact=True).count() != 1:
                audit.problems.append(f"{label}: no heading {name!r}")
        if content.get_by_text("keiner Stelle").count():
            audit.problems.append(f"{label}: tells a committee member to ask the administration for a Stelle")
        if content.get_by_role("heading", name="Sozialausschuss, 21.05.2012, 15:00 Uhr", exact=True).count() != 1:
            audit.problems.append(f"{label}: the 2012 meeting is not among the past meetings")
        if news and content.get_by_role("heading", name="Freigegebene Vorlagen", exact=True).count() != 1:
            audit.problems.append(f"{label}: the paper released since the last visit is not listed as new")

    return step


def _as_if_last_visit_was_yesterday(world):
    """The member's visit compares with yesterday: the paper released today is new (models.StartPageVisit)."""
    from agreements import models as m

    yesterday = timezone.now() - datetime.timedelta(days=1)
    m.StartPageVisit.objects.filter(user=world.users["ausschuss"]).update(since=yesterday)


def ausschuss_pages(world):
    released = _released_vorlage(world)
    return [
        *common_pages(),
        _committee_start_page("Übersicht des Ausschussmitglieds", news=False),
        call(lambda: _as_if_last_visit_was_yesterday(world)),
        _committee_start_page("Übersicht des Ausschussmitglieds, neu seit dem letzten Besuch", news=True),
        visit("Vergangene Sitzungen", "/vorlagen/sitzungsunterlagen/vergangene/"),
        visit("Vergangene Sitzungen, unlesbare Seitenzahl", "/vorlagen/sitzungsunterlagen/vergangene/?page=x"),
        _vorlage_reading(world.vorlage),
        _vorlage_reading(released),
        *narrow([
            _committee_start_page("Übersicht des Ausschussmitglieds", news=True),
            visit("Meine Sitzungsunterlagen", "/vorlagen/sitzungsunterlagen/"),
            visit("Vergangene Sitzungen", "/vorlagen/sitzungsunterlagen/vergangene/"),
        ]),
    ]


# The admin's models that admins use to manage who takes part: parties, their departments and people, committees,
# meetings and user accounts, and what electronic signatures need (issue 15): the parties' signing keys, the
# timestamp authority and the trust anchors; each as list, add form and change form.
ADMIN_MANAGED = ("party", "department", "person", "membership", "committee", "committeemembership", "meeting",
                 "signingkey", "timestampauthority", "trustanchor")


def admin_site_pages(world):
    """The Django admin as an admin uses it (issue 13: admins are users too): the index, each app's index, the
    lists and forms of the parties, people, committees and users, the group form and the forms with inlines."""
    from django.contrib.auth.models import Group

    from agreements import models as m

    group, _ = Group.objects.get_or_create(name="Sachbearbeitung")
    objects = {
        "party": m.Party.objects.get(key="kreis-mettmann"), "department": world.department, "person": world.author,
        "membership": m.Membership.objects.first(), "committee": world.committee,
        "committeemembership": m.CommitteeMembership.objects.first(),
        "meeting": m.Meeting.objects.first() or _future_meeting(world),
        # The demo's (load_demo), which must be there: the Kreis Mettmann's key, the demo TSA and root CA.
        "signingkey": m.SigningKey.objects.filter(party__key="kreis-mettmann").earliest("pk"),
        "timestampauthority": m.TimestampAuthority.objects.filter(is_demo=True).earliest("pk"),
        "trustanchor": m.TrustAnchor.objects.filter(is_demo=True).earliest("pk"),
    }
    pages = [visit("Admin: Startseite", "/admin/"), visit("Admin: Agreements", "/admin/agreements/"),
             visit("Admin: Benutzer und Gruppen", "/admin/auth/")]
    for model in ADMIN_MANAGED:
        base = f"/admin/agreements/{model}/"
        pages += [visit(f"Admin: {model}", base), visit(f"Admin: {model} hinzufügen", base + "add/")]
        if objects[model] is not None:
            pages.append(visit(f"Admin: {model} ändern", base + f"{objects[model].pk}/change/"))
    user = world.users["kreis-editor"]
    return [
        *pages,
        visit("Admin: Benutzer", "/admin/auth/user/"),
        visit("Admin: Benutzer hinzufügen", "/admin/auth/user/add/"),
        visit("Admin: Benutzer ändern", f"/admin/auth/user/{user.pk}/change/"),
        visit("Admin: Gruppen", "/admin/auth/group/"),
        visit("Admin: Gruppe hinzufügen", "/admin/auth/group/add/"),
        visit("Admin: Gruppe ändern", f"/admin/auth/group/{group.pk}/change/"),
        visit("Admin: Abschnitt hinzufügen", "/admin/agreements/agreementsection/add/"),
        visit("Admin: Zielvereinbarung ändern", f"/admin/agreements/agreement/{world.a12.pk}/change/"),
        visit("Admin: Benachrichtigungseinstellungen", "/admin/notifications/preferences/"),
        visit("Admin: Benachrichtigungseinstellungen hinzufügen", "/admin/notifications/preferences/add/"),
        visit("Admin: E-Mails", "/admin/notifications/mail/"),
    ]


def admin_pages(world):
    return [
        *common_pages(),
        *admin_site_pages(world),
        *agreement_pages(world.a12, _versions(world.a12)),
        visit("Protokoll", "/verwaltung/protokoll/"),
        visit("Protokoll mit Filter", "/verwaltung/protokoll/?aktion=login"),
        visit("Protokoll, Filter mit Fehlern", "/verwaltung/protokoll/?von=2013-05-01&bis=2013-01-01", errors=True),
        *narrow([visit("Protokoll", "/verwaltung/protokoll/")]),
        _vorlage_reading(world.vorlage),
        _vorlage_reading(_draft_vorlage(world)),
    ]


def _negotiated(world):
    """A 2013 agreement of the county with the ministry, negotiated in turn as in the journey (test_journey.py), so
    that its timeline, history and proposals hold what the journey writes: created, Fassung 1 sent, a new wording
    proposed and adopted into the working text, new goal values rejected with a reason, Fassung 2 sent and
    accepted, the text agreed, both signatures."""
    from agreements import models as m
    from agreements.services import agreements, goals, lifecycle, negotiation, versions

    county, ministry = world.users["kreis-editor"], world.users["mais-editor"]
    agreement = agreements.create_agreement(user=county, data={
        "title": "Zielvereinbarung 2013 zwischen dem MAIS NRW und dem Kreis Mettmann", "year": 2013,
        "period_start": datetime.date(2013, 1, 1), "period_end": datetime.date(2013, 12, 31),
        "land": m.Party.objects.get(key="mais-nrw"), "kommunaler_traeger": m.Party.objects.get(key="kreis-mettmann"),
    })
    section = agreements.save_section(user=county, agreement=agreement, data={
        "heading": "§ 3 Zielsteuerungsgespräche",
        "text": "Die Vereinbarungspartner führen im Jahr 2013 ein Zielsteuerungsgespräch."})
    goal = goals.save_goal(user=county, agreement=agreement, data={
        "kind": m.Goal.Kind.QUANTITATIVE, "level": m.Goal.Level.LOCAL, "area": m.Goal.Area.K2,
        "title": "Integrationsquote der Alleinerziehenden steigern", "indicator": m.Indicator.objects.get(code="K2E4"),
        "reference_value": Decimal("21.4"),
        "corridor_low": Decimal("20.5"), "corridor_high": Decimal("23"), "target_value": Decimal("22.1"),
        "unit": "%"})
    versions.send_draft(user=county, agreement=agreement, note="Erster Entwurf des Kreises Mettmann.")
    wording = negotiation.create_proposal(user=county, agreement=agreement, data={
        "text": "Ein zweites Gespräch im Herbst", "section": section,
        "wording": section.text + " Ein zweites Gespräch im Herbst bewertet die Zielerreichung zum Halbjahr."})
    values = negotiation.create_proposal(user=county, agreement=agreement, data={
        "text": "Zielwert senken", "goal": goal, "goal_values": {"target_value": "21.9"}})
    for proposal, decision, reason in ((wording, m.Proposal.Decision.ADOPTED, ""),
                                       (values, m.Proposal.Decision.REJECTED, "Der Zielwert bleibt.")):
        negotiation.decide_proposal(user=ministry, proposal=proposal, lock_version=proposal.lock_version,
                                    data={"decision": decision, "reason": reason})
    versions.send_draft(user=ministry, agreement=agreement, note="Vorschlag zu den Gesprächen übernommen.")
    lifecycle.agree(user=county, agreement=agreement)
    for user, name, function, place in ((county, "Thomas Hendele", "Landrat", "Mettmann"),
                                        (ministry, "Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf")):
        lifecycle.sign(user=user, agreement=agreement, data={
            "signatory_name": name, "signatory_function": function, "date": timezone.localdate(), "place": place})
    return agreement


def negotiated_pages(world):
    """The pages that show what a negotiation in turn wrote: the typed timeline entries (phrased when read), the
    adopted wording, the rejected values with their reason, the redline and the history; and the dashboard's
    activity, which lists them."""
    a = _negotiated(world)
    base = f"/vereinbarungen/{a.pk}/"
    return [
        *tabs(base, ["Überblick", "Ziele", "Fassungen", "Vorschläge", "Verfahren", "Schreiben", "Historie"],
              "unterzeichnet"),
        visit("Vergleich der Fassungen 1 und 2 im Text", base + "fassungen/vergleich/?a=1&b=2&mode=inline"),
        visit("Vergleich der Fassungen 1 und 2 nebeneinander", base + "fassungen/vergleich/?a=1&b=2&mode=side"),
        visit("Übersicht mit den letzten Aktivitäten", "/"),
    ]


def english_words(world):
    """What was German on the English pages (issue 13) and one word long, so that the check of the catalogue's
    phrases would not see it: the tab that lists the letters, the Vorlage's impact choices."""
    from playwright.sync_api import expect

    def step(page, audit):
        page.goto(f"/vereinbarungen/{world.a12.pk}/")
        tabs = page.get_by_role("navigation", name="Sections of the target agreement").get_by_role("link")
        expect(tabs).to_have_text(["Overview", "Goals", "Support offers", "Versions", "Proposals", "Statements",
                                   "Procedure", "Letters", "Documents", "Goal review", "Deadlines", "History"])
        page.goto(f"/vorlagen/{world.vorlage.pk}/")
        impact = main(page).get_by_role("row").filter(has=page.get_by_role("rowheader", name="Financial impact"))
        expect(impact.get_by_role("cell")).to_contain_text(["yes", "no", "cannot yet be foreseen"])

    return step


ROLES = {
    "anonymous": anonymous_pages,
    "kreis-editor": kreis_editor_pages,
    "kreis-reader": kreis_reader_pages,
    "mais-editor": mais_editor_pages,
    "ausschuss": ausschuss_pages,
    "admin": admin_pages,
}


@pytest.mark.e2e
@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_accessible(pages, demo, role):
    world = _world(demo)
    steps = ROLES[role](world)
    page = pages.page() if role == "anonymous" else pages.login(role)
    # axe-core in every document the tab loads, before the page's own scripts (instead of sending it per page).
    page.context.add_init_script(script=axe_source())
    audit = Audit()
    for step in steps:
        step(page, audit)
    print(f"{role}: {len(audit.pages)} pages checked")
    assert not audit.problems, audit.report()


@pytest.mark.e2e
def test_the_county_editors_pages_in_english(pages, demo):
    """The county editor chooses English with the language switch and goes through their pages of the journey and
    an agreement negotiated to its signatures: axe and the structure checks as above, and no German interface
    string of the catalogue on any page outside quoted record content (lang="de")."""
    world = _world(demo)
    page = pages.login("kreis-editor")
    choose_language(page, "en")
    page.context.add_init_script(script=axe_source())
    audit = Audit(checks=[german_interface_strings])
    # The steps are built and run in English: the labels and buttons they use are the English ones.
    with translation.override("en"):
        for step in [english_words(world), *kreis_editor_pages(world), *negotiated_pages(world)]:
            step(page, audit)
    print(f"kreis-editor in English: {len(audit.pages)} pages checked")
    assert len(audit.pages) >= 60
    assert not audit.problems, audit.report()


@pytest.mark.e2e
def test_the_pages_are_checked_with_their_stylesheets_and_scripts(pages, demo):
    """Contrast, focus and reflow can only be checked on the page as the user's browser shows it: the live server
    serves the static files as `make run` does (tests/conftest.py's live_server), the application's and the admin's
    (whose autocomplete fields are built by its scripts). Without them every check above passed on unstyled HTML."""
    page = pages.login("kreis-editor")
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto("/")
    bar = page.evaluate("() => getComputedStyle(document.querySelector('nav.navbar')).backgroundColor")
    assert bar == "rgb(11, 61, 110)"  # .bg-primary-dark of static/css/app.css
    admin = pages.login("admin")
    admin.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    admin.goto("/admin/agreements/person/add/")
    combobox = admin.locator("#id_party + .select2 .select2-selection")
    expect(combobox).to_have_accessible_name(re.compile(r"^Stelle"))
    assert not failed, failed


@pytest.mark.e2e
def test_the_checks_catch_problems(pages):
    """The checks themselves: a page with known defects must fail them (so a green run means something)."""
    page = pages.page()
    page.set_content(
        '<html><head><title> </title></head><body><h1>A</h1><h1>B</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<input id="x" class="form-control is-invalid"><div class="invalid-feedback" id="x_error">Fehler</div>'
        '<p style="color:#aaa;background:#fff">blass</p></body></html>'
    )
    audit = Audit()
    audit.check(page, "defekt", expect_errors=True)
    report = audit.report()
    for expected in ("axe image-alt [critical]", "axe html-has-lang", "axe label", "axe color-contrast",
                     "https://dequeuniversity.com/rules/axe/", "exactly one <h1>, found 2",
                     "exactly one <main> landmark, found 0", "<html> has no lang", "<title> is empty",
                     "#x is shown invalid without aria-invalid", "#x is invalid but no error message is tied",
                     "\"Fehler\" is not referenced by any field"):
        assert expected in report, f"{expected!r} missing in:\n{report}"


@pytest.mark.e2e
def test_the_language_check_finds_german_interface_strings(pages):
    """The check of English pages (language.py): a German phrase of the catalogue is found in the text, in a
    screen-reader-only text, in an option and in an attribute, and in interface words inside German content; quoted
    record content (lang="de"), single words, domain terms and what is not shown are left alone."""
    page = pages.page()
    page.set_content(
        '<html lang="en"><head><title>Test</title></head><body><main>'
        '<p>Financial impact: noch nicht zu übersehen</p>'
        '<p><span class="visually-hidden">Unterzeichnet von</span> Kreis Mettmann</p>'
        '<select aria-label="Zielvereinbarung"><option>Neue Zielvereinbarung</option>'
        '<option lang="de">Vorlage zu einer Zielvereinbarung</option></select>'
        '<a href="#" aria-label="Fassungen vergleichen">Compare</a>'
        '<blockquote lang="de">Der Vorschlag wurde eingebracht. '
        '<span lang="en">eingefügter Text ist</span></blockquote>'
        '<p>Vorlage, Status, Excel (XLSX)</p>'
        '<p style="display:none">Noch keine Abschnitte.</p>'
        '</main></body></html>'
    )
    found = {phrase for phrase, _msgid, _line in german_leaks(page)}
    assert found == {"noch nicht zu übersehen", "Unterzeichnet von", "Neue Zielvereinbarung",
                     "Fassungen vergleichen", "eingefügter Text ist"}, found
