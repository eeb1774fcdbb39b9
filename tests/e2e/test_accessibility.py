"""axe-core (WCAG 2.0/2.1 A and AA) on every page of the journeys, for every role, plus the structure each page
must have: one h1, a <main>, <html lang>, a title, and error messages tied to their fields.

One test per role: it loads the demo case, prepares what the role's pages need, visits them all in one browser
tab and asserts once at the end, so a failure lists every problem with rule, impact, targets and help URL.
"""

import datetime
from types import SimpleNamespace

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from .a11y import Audit, axe_source  # noqa: E402
from .helpers import MAIS, field, main, named  # noqa: E402

# --- Test data beyond the demo case ---------------------------------------------------------------------------


def _world(demo):
    from django.contrib.auth import get_user_model

    from agreements import models as m

    users = {u.username: u for u in get_user_model().objects.all()}
    a12 = demo.agreement
    jobcenter = m.Agreement.objects.get(agreement_parties__party__key="jobcenter-kreis-mettmann", year=2012,
                                        status=m.Agreement.Status.DRAFT)
    neuss = m.Agreement.objects.get(agreement_parties__party__key="rhein-kreis-neuss", year=2012)
    return SimpleNamespace(
        users=users, a12=a12, jobcenter=jobcenter, neuss=neuss, vorlage=demo.vorlage,
        department=m.Department.objects.get(party__key="kreis-mettmann", number="50"),
        author=m.Person.objects.get(user=users["kreis-editor"]),
        committee=m.Committee.objects.get(party__key="kreis-mettmann", name="Sozialausschuss"),
    )


def _future_meeting(world):
    from django.utils import timezone

    from agreements import models as m

    start = timezone.make_aware(datetime.datetime.combine(datetime.date.today() + datetime.timedelta(days=10),
                                                          datetime.time(15, 0)))
    return m.Meeting.objects.create(committee=world.committee, start=start, location="Kreishaus Mettmann")


def _draft_vorlage(world, meeting=None):
    """A Vorlage written from the 2012 agreement, with the Sozialausschuss in its Beratungsfolge."""
    from agreements.models import Consultation
    from agreements.services import vorlagen as svc

    editor = world.users["kreis-editor"]
    vorlage = svc.create_vorlage_from_agreement(user=editor, agreement=world.a12, department=world.department,
                                                author=world.author, date=datetime.date.today())
    svc.save_consultation(user=editor, vorlage=vorlage, data={
        "committee": world.committee, "meeting": meeting,
        "meeting_date": None if meeting else datetime.date.today() + datetime.timedelta(days=30),
        "role": Consultation.Role.NOTICE, "authoritative": True,
    })
    return vorlage


def _released_vorlage(world):
    from agreements.services import vorlagen as svc

    vorlage = _draft_vorlage(world, meeting=_future_meeting(world))
    svc.release(user=world.users["kreis-editor"], vorlage=vorlage)
    return vorlage


# --- Steps: each one opens a page (or submits a form) and checks it ----------------------------------------------


def visit(label, url, *, status=200, errors=False):
    def step(page, audit):
        response = page.goto(url)
        if response is None or response.status != status:
            audit.problems.append(f"{label} <{url}>: HTTP {response and response.status}, expected {status}")
        elif not page.url.endswith(url):
            audit.problems.append(f"{label} <{url}>: redirected to {page.url}")
        audit.check(page, label, expect_errors=errors)

    return step


def submit(label, url, fill, button, *, status=200, errors=True):
    """Open the form, fill it with `fill(page)`, submit it and check the answer (with errors, by default)."""

    def step(page, audit):
        page.goto(url)
        fill(page)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            main(page).get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        if answer.value.status != status:
            audit.problems.append(f"{label} <{url}>: answered HTTP {answer.value.status}, expected {status}")
        audit.check(page, label, expect_errors=errors)

    return step


def narrow(steps):
    """The same pages on a 320 px wide screen (1280 px at 400 % zoom, WCAG 1.4.10): tables scroll there."""

    def resize(width, height):
        def step(page, audit):
            page.set_viewport_size({"width": width, "height": height})

        return step

    return [resize(320, 640), *steps, resize(1280, 900)]


def call(fn):
    """A preparation between two pages (e.g. agreeing on a text, so that the signing form opens)."""

    def step(page, audit):
        fn()

    return step


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
        submit("Passwort ändern mit Fehlern", "/passwort/", _wrong_passwords, "Passwort ändern"),
    ]


def _wrong_passwords(page):
    field(page, "Altes Passwort").fill("falsch")
    field(page, "Neues Passwort").fill("kurz")
    field(page, "Neues Passwort bestätigen").fill("anders")


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
    ]


def _goal_with_errors(page):
    field(page, "Titel").fill("Ziel mit Fehlern")
    field(page, "Referenzwert").fill("12,5")
    field(page, "Korridor untere Grenze").fill("5")
    field(page, "Korridor obere Grenze").fill("3")


def _agreement_with_errors(page):
    field(page, "Titel").fill("Vereinbarung mit Fehlern")
    field(page, "Jahr").fill("2013")
    field(page, "Laufzeit von").fill("2013-12-31")
    field(page, "Laufzeit bis").fill("2013-01-01")
    field(page, "Land (Ministerium)").select_option(label=MAIS)


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
    a, j, v = f"/vereinbarungen/{a12.pk}/", f"/vereinbarungen/{jc.pk}/", f"/vorlagen/{draft.pk}/"

    def conflict(page, audit):
        page.goto(j + f"ziele/{goal.pk}/")
        m.Goal.objects.filter(pk=goal.pk).update(lock_version=F("lock_version") + 1)  # somebody else saved
        field(page, "Titel").fill("Mein Titel")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            main(page).get_by_role("button", name="Speichern").click()
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

    return [
        *common_pages(),
        *agreement_pages(a12, _versions(a12)),
        visit("Neue Zielvereinbarung", "/vereinbarungen/neu/"),
        submit("Neue Zielvereinbarung mit Fehlern", "/vereinbarungen/neu/", _agreement_with_errors, "Speichern"),
        visit("Zielvereinbarung bearbeiten", j + "bearbeiten/"),
        visit("Abschnitt hinzufügen", j + "abschnitte/neu/"),
        visit("Abschnitt bearbeiten", j + f"abschnitte/{section.pk}/"),
        *tabs(j, ["Ziele", "Unterstützungsangebote", "Fassungen"], "Entwurf"),
        visit("Ziel hinzufügen", j + "ziele/neu/"),
        submit("Ziel hinzufügen mit Fehlern", j + "ziele/neu/", _goal_with_errors, "Speichern"),
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
        submit("Rückfrage: Abschnitt löschen", j, lambda page: None, named("Löschen", section.heading),
               errors=False),
        submit("Rückfrage: Fassung übersenden", j + "fassungen/", lambda page: None, "Entwurf übersenden",
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
        submit("Rückfrage: Vorlage freigeben", v, lambda page: None, "Freigeben", errors=False),
    ]


def kreis_reader_pages(world):
    return [
        *common_pages(),
        *agreement_pages(world.a12, _versions(world.a12)),
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
    ]


def ausschuss_pages(world):
    released = _released_vorlage(world)
    return [
        *common_pages(),
        _vorlage_reading(world.vorlage),
        _vorlage_reading(released),
    ]


# The admin's models that admins use to manage who takes part: parties, their departments and people, committees,
# meetings and user accounts, each as list, add form and change form.
ADMIN_MANAGED = ("party", "department", "person", "membership", "committee", "committeemembership", "meeting")


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
