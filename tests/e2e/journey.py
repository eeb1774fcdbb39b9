"""The steps of the 2013 journey in the browser, shared by the journey against pytest-django's live server
(tests/e2e/test_journey.py) and the one against the application installed and started by `make run`
(tests/installed/). Every step goes through what a user sees and takes the pages it acts on; the base URL is the
browser context's."""

import datetime
import re
from types import SimpleNamespace

from playwright.sync_api import expect

from .helpers import MAIS, checkpoint, download, expect_heading, expect_message, field, iso, main, named, nav, tab

TITLE = "Zielvereinbarung 2013 zwischen dem MAIS NRW und dem Kreis Mettmann"
GOAL_QUALITATIVE = "Senkung der Kosten der Unterkunft"
GOAL_QUANTITATIVE = "Integrationsquote der Alleinerziehenden steigern"
OFFER = "Fachtagung Alleinerziehende"
PROPOSAL = "Trilaterale Zielvereinbarungsgespräche mit dem Jobcenter aufnehmen"
REASON = "Trilaterale Gespräche sind für 2013 nicht vorgesehen."
SIGNATORY_COUNTY = ("Herr Thomas Hendele", "Mettmann", datetime.date(2013, 4, 10))
SIGNATORY_MINISTRY = ("Herr Dr. Wilhelm Schäffer", "Düsseldorf", datetime.date(2013, 4, 16))


def create_agreement(page, title=TITLE):
    nav(page, "Zielvereinbarungen")
    expect_heading(page, "Zielvereinbarungen")
    main(page).get_by_role("link", name="Neue Zielvereinbarung").click()
    expect_heading(page, "Neue Zielvereinbarung")
    field(page, "Titel").fill(title)
    field(page, "Jahr").fill("2013")
    field(page, "Laufzeit von").fill("2013-01-01")
    field(page, "Laufzeit bis").fill("2013-12-31")
    field(page, "Land (Ministerium)").select_option(label=MAIS)
    field(page, "kommunaler Träger").select_option(label="Kreis Mettmann")
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Die Zielvereinbarung wurde angelegt.")
    expect_heading(page, title)
    return int(re.search(r"/vereinbarungen/(\d+)/", page.url).group(1))


def add_goal(page, kind, level, area, title, *, choices=(), values=()):
    """One goal through the form "Ziel hinzufügen": the three choices every goal has, then `choices` (label,
    option) and `values` (label, text) of its kind."""
    main(page).get_by_role("link", name="Ziel hinzufügen", exact=True).click()
    expect_heading(page, "Ziel hinzufügen")
    field(page, "Zielart").select_option(label=kind)
    field(page, "Zielebene").select_option(label=level)
    field(page, "Handlungsfeld").select_option(label=area)
    field(page, "Titel").fill(title)
    for label, option in choices:
        field(page, label).select_option(label=option)
    for label, text in values:
        field(page, label).fill(text)
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Ziel wurde angelegt.")


def add_goals(page):
    tab(page, "Ziele")
    add_goal(page, "qualitativ (Leitziel / Tendenz)", "Landesziel", "Kosten der Unterkunft und Heizung (KdU)",
             GOAL_QUALITATIVE, choices=[("Tendenz", "Senkung")],
             values=[("Beschreibung", "Die Summe der Leistungen für Unterkunft und Heizung soll sinken.")])
    add_goal(page, "quantitativ", "lokales Ziel", "K2 Verbesserung der Integration in Erwerbstätigkeit",
             GOAL_QUANTITATIVE, choices=[("Kennzahl", "\u2003K2E4 – Integrationsquote der Alleinerziehenden")],
             values=[("Referenzwert", "21,4"), ("Korridor untere Grenze", "20,5"), ("Korridor obere Grenze", "23"),
                     ("Zielwert", "22,1"), ("Einheit", "%")])
    goal = main(page).get_by_role("article").filter(has_text=GOAL_QUANTITATIVE)
    expect(goal).to_contain_text("21,4 %")
    expect(goal).to_contain_text("20,5 bis 23 %")
    expect(goal).to_contain_text("22,1 %")
    expect(main(page).get_by_role("article").filter(has_text=GOAL_QUALITATIVE)).to_contain_text("Senkung")


def add_offer(page):
    tab(page, "Unterstützungsangebote")
    main(page).get_by_role("link", name="Angebot hinzufügen", exact=True).click()
    expect_heading(page, "Unterstützungsangebot hinzufügen")
    field(page, "Themenschwerpunkt").select_option(label="1. Alleinerziehende")
    field(page, "Titel").fill(OFFER)
    field(page, "Beschreibung").fill("Das MAIS NRW richtet eine Fachtagung für die Jobcenter aus.")
    expect(field(page, "Anbieter")).to_have_value(re.compile(r"\d+"))  # the Land, preselected
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Unterstützungsangebot wurde angelegt.")
    expect(main(page).get_by_role("heading", name=OFFER)).to_be_visible()


def send_draft(page, number, note):
    tab(page, "Fassungen")
    field(page, "Anmerkung zur Übersendung").fill(note)
    page.get_by_role("button", name="Entwurf übersenden").click()
    expect_message(page, f"Fassung {number} wurde übersandt.")
    expect(main(page).get_by_role("table").get_by_role("link", name=f"Fassung {number}")).to_be_visible()


def propose(page):
    tab(page, "Vorschläge")
    main(page).get_by_role("link", name="Vorschlag einbringen").click()
    expect_heading(page, "Vorschlag einbringen")
    field(page, "Vorschlag").fill(PROPOSAL)
    field(page, "betrifft").fill("§ 2 Ziele")
    page.get_by_role("button", name="Vorschlag einbringen").click()
    expect_message(page, "Der Vorschlag wurde eingebracht.")


def open_agreement(page, title=TITLE):
    nav(page, "Zielvereinbarungen")
    expect_heading(page, "Zielvereinbarungen")
    main(page).get_by_role("link", name=title, exact=True).click()
    expect_heading(page, title)


def decide_proposal(page):
    tab(page, "Vorschläge")
    main(page).get_by_role("link", name=re.compile(r"^Entscheiden")).click()
    expect_heading(page, "Über den Vorschlag entscheiden")
    field(page, "nicht übernommen").check()
    field(page, "Begründung").fill(REASON)
    page.get_by_role("button", name="Entscheiden").click()
    expect_message(page, "Die Entscheidung wurde gespeichert.")
    rejected = main(page).get_by_role("table", name=re.compile("nicht oder nur teilweise übernommen"))
    expect(rejected).to_contain_text(PROPOSAL)
    expect(rejected).to_contain_text(REASON)


def revise_goal(page):
    tab(page, "Ziele")
    main(page).get_by_role("link", name=named("Bearbeiten", GOAL_QUANTITATIVE)).click()
    expect_heading(page, "Ziel bearbeiten")
    expect(field(page, "Zielwert")).to_have_value("22,1")
    field(page, "Zielwert").fill("22,5")
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Ziel wurde gespeichert.")
    expect(main(page).get_by_role("article").filter(has_text=GOAL_QUANTITATIVE)).to_contain_text("22,5 %")


def view_redline(page):
    tab(page, "Fassungen")
    compare = main(page).get_by_role("region", name="Fassungen vergleichen")
    expect(field(compare, "von Fassung")).to_have_value("1")
    expect(field(compare, "zu Fassung")).to_have_value("2")
    compare.get_by_role("button", name="Vergleichen").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Vergleich: Fassung 1 zu Fassung 2")
    checkpoint(page, "Vergleich")
    goal = main(page).get_by_role("article").filter(has_text=GOAL_QUANTITATIVE)
    expect(goal.locator("del")).to_contain_text(["22,1"])
    expect(goal.locator("ins")).to_contain_text(["22,5"])


def sign(page, person, place, day):
    main(page).get_by_role("link", name="Unterschrift erfassen").click()
    expect_heading(page, "Unterschrift erfassen")
    field(page, "unterzeichnende Person").select_option(label=person)
    field(page, "Datum der Unterschrift").fill(iso(day))
    field(page, "Ort").fill(place)
    page.get_by_role("button", name="Unterschrift erfassen").click()
    expect_message(page, "Die Unterschrift wurde erfasst.")


def create_vorlage(page, meeting_label, meeting_day, upload, title=TITLE):
    nav(page, "Vorlagen")
    expect_heading(page, "Vorlagen")
    main(page).get_by_role("link", name="Vorlage zu einer Zielvereinbarung").click()
    expect_heading(page, "Vorlage zu einer Zielvereinbarung")
    field(page, "Zielvereinbarung").select_option(label=title)
    field(page, "Fachbereich").select_option(label="Kreis Mettmann: 50 Sozialamt")
    expect(field(page, "Bearbeiter/in")).to_have_value(re.compile(r"\d+"))  # the logged-in author
    page.get_by_role("button", name="Vorlage anlegen").click()
    expect_message(page, "Die Vorlage wurde aus der Zielvereinbarung vorbereitet.")
    reference = re.search(r"Vorlage (50/\d{3}/\d{4})", page.get_by_role("heading", level=1).inner_text()).group(1)

    main(page).get_by_role("link", name="Gremium hinzufügen").click()
    expect_heading(page, "Gremium in die Beratungsfolge aufnehmen")
    field(page, "Gremium").select_option(label="Sozialausschuss")
    field(page, "Sitzung").select_option(label=meeting_label)
    field(page, "Art der Beratung").select_option(label="Kenntnisnahme")
    field(page, "abschließend").check()
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Die Beratungsfolge wurde gespeichert.")
    consultations = main(page).get_by_role("table", name=re.compile("Beratungsfolge"))
    expect(consultations).to_contain_text("Sozialausschuss")
    expect(consultations).to_contain_text(meeting_day.strftime("%d.%m.%Y"))

    main(page).get_by_role("link", name="Anlage hinzufügen").click()
    expect_heading(page, "Anlage hinzufügen")
    field(page, "Bezeichnung").fill("Teilnehmerliste des Zielsteuerungsgesprächs")
    field(page, "oder Datei hochladen").set_input_files(
        files=[{"name": "teilnehmerliste.pdf", "mimeType": "application/pdf", "buffer": upload}])
    page.get_by_role("button", name="Anlage hinzufügen").click()
    expect_message(page, "Die Anlage wurde hinzugefügt.")

    page.get_by_role("button", name="Freigeben").click()
    expect_message(page, "Die Vorlage ist freigegeben; das PDF wurde gespeichert.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("freigegeben")
    return reference


def negotiate(county, ministry, title=TITLE):
    """The county sends its draft with a proposal; the ministry answers the proposal, revises a goal and sends
    its version; both see the redline of the change."""
    send_draft(county, 1, "Erster Entwurf des Kreises Mettmann.")
    # The pen is with the ministry now: the county reads, and proposes instead of editing.
    expect(county.locator("h1 + p")).to_contain_text("am Zug: Ministerium")
    tab(county, "Ziele")
    expect(main(county).get_by_role("link", name="Ziel hinzufügen")).to_have_count(0)
    propose(county)
    open_agreement(ministry, title)
    decide_proposal(ministry)
    revise_goal(ministry)
    send_draft(ministry, 2, "Zielwert angepasst.")
    view_redline(ministry)
    county.reload()
    view_redline(county)


def agree_and_sign(county, ministry, pk, number=2):
    """The county, which received the ministry's Fassung `number` and holds the pen, accepts exactly that Fassung
    (the ministry, its sender, is offered no acceptance); the text is agreed, then both sign."""
    ministry.goto(f"/vereinbarungen/{pk}/")
    expect(main(ministry).get_by_role("link", name=f"Fassung {number} annehmen")).to_have_count(0)
    tab(county, "Überblick")
    main(county).get_by_role("link", name=f"Fassung {number} annehmen").click()
    expect_heading(county, f"Fassung {number} annehmen")
    county.get_by_role("button", name="Fassung verbindlich annehmen").click()
    expect_message(county, "Der Text ist abgestimmt")
    expect(main(county)).to_contain_text(f"hat Fassung {number} am")
    sign(county, *SIGNATORY_COUNTY)
    expect(main(county)).to_contain_text("1 von 2 Unterschriften")
    ministry.goto(f"/vereinbarungen/{pk}/")
    sign(ministry, *SIGNATORY_MINISTRY)
    expect(main(ministry)).to_contain_text("2 von 2 Unterschriften")
    expect(main(ministry).get_by_role("link", name="PDF herunterladen")).to_be_visible()


def committee_papers(member, reference, anlagen=2):
    """A committee member finds the released paper among the papers of the coming meetings and downloads the
    Vorlage, the Gesamtdokument and each Anlage; returns them (file name and bytes)."""
    nav(member, "Meine Sitzungsunterlagen")
    expect_heading(member, "Meine Sitzungsunterlagen")
    row = main(member).get_by_role("row").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kenntnisnahme")
    vorlage = download(member, row.get_by_role("link", name="Vorlage (PDF)"))
    bundle = download(member, row.get_by_role("link", name="Gesamtdokument mit Anlagen"))
    anlage_links = row.get_by_role("listitem").get_by_role("link")
    expect(anlage_links).to_have_count(anlagen)
    return SimpleNamespace(vorlage=vorlage, bundle=bundle,
                           anlagen=[download(member, anlage_links.nth(i)) for i in range(anlagen)])


def read_vorlage(member, reference):
    """The reading view of the paper, from the committee member's list."""
    main(member).get_by_role("link", name=reference).click()
    expect_heading(member, f"Vorlage {reference}")
    expect(main(member)).to_contain_text("Sozialausschuss")
