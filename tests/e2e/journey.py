"""The steps of the 2013 journey in the browser, shared by the journey against pytest-django's live server
(tests/e2e/test_journey.py) and the one against the application installed and started by `make run`
(tests/installed/). Every step goes through what a user sees and takes the pages it acts on; the base URL is the
browser context's."""

import re
from types import SimpleNamespace

from django.utils import timezone
from playwright.sync_api import expect

from .helpers import MAIS, checkpoint, download, expect_heading, expect_message, field, iso, main, named, nav, tab

TITLE = "Zielvereinbarung 2013 zwischen dem MAIS NRW und dem Kreis Mettmann"
GOAL_QUALITATIVE = "Senkung der Kosten der Unterkunft"
GOAL_QUANTITATIVE = "Integrationsquote der Alleinerziehenden steigern"
OFFER = "Fachtagung Alleinerziehende"
PROPOSAL = "Trilaterale Zielvereinbarungsgespräche mit dem Jobcenter aufnehmen"
REASON = "Trilaterale Gespräche sind für 2013 nicht vorgesehen."
SECTION = "§ 3 Zielsteuerungsgespräche"
SECTION_TEXT = "Die Vereinbarungspartner führen im Jahr 2013 ein Zielsteuerungsgespräch."
# The county's wording proposal adds this sentence to a section; the ministry adopts it in one step.
WORDING_ADDITION = "Ein zweites Gespräch im Herbst bewertet die Zielerreichung zum Halbjahr."
WORDING_REASON = "Die Halbjahreswerte sollen gemeinsam bewertet werden."
COUNTY_CHANGE = "Die Summe der Leistungen für Unterkunft und Heizung soll um mindestens ein Prozent sinken."
SIGNATORY_COUNTY = ("Herr Thomas Hendele", "Mettmann")
SIGNATORY_MINISTRY = ("Herr Dr. Wilhelm Schäffer", "Düsseldorf")


def create_agreement(page, title=TITLE):
    nav(page, "Zielvereinbarungen")
    expect_heading(page, "Zielvereinbarungen")
    main(page).get_by_role("link", name="Neue Zielvereinbarung").click()
    expect_heading(page, "Neue Zielvereinbarung")
    fill_agreement_form(page, title)
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Die Zielvereinbarung wurde angelegt.")
    expect_heading(page, title)
    return int(re.search(r"/vereinbarungen/(\d+)/", page.url).group(1))


def fill_agreement_form(page, title=TITLE):
    """The form "Neue Zielvereinbarung": the 2013 agreement of the ministry and the Kreis Mettmann."""
    field(page, "Titel").fill(title)
    field(page, "Jahr").fill("2013")
    field(page, "Laufzeit von").fill("2013-01-01")
    field(page, "Laufzeit bis").fill("2013-12-31")
    field(page, "Land (Ministerium)").select_option(label=MAIS)
    field(page, "kommunaler Träger").select_option(label="Kreis Mettmann")


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


def confirm(page, question, says, button):
    """The confirmation step of an irreversible action: the question, focused; what will happen, naming `says`;
    then its button."""
    expect_heading(page, question)
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(main(page)).to_contain_text(says)
    main(page).get_by_role("button", name=button, exact=True).click()


def send_draft(page, number, note):
    tab(page, "Fassungen")
    field(page, "Anmerkung zur Übersendung").fill(note)
    page.get_by_role("button", name="Entwurf übersenden").click()
    confirm(page, f"Fassung {number} übersenden?", re.compile(rf"Fassung {number} wird an .+ übersandt"),
            f"Fassung {number} übersenden")
    expect_message(page, f"Fassung {number} wurde übersandt.")
    expect(main(page).get_by_role("table").get_by_role("link", name=f"Fassung {number}")).to_be_visible()


def add_section(page, heading=SECTION, text=SECTION_TEXT):
    tab(page, "Überblick")
    main(page).get_by_role("link", name="Abschnitt hinzufügen", exact=True).click()
    expect_heading(page, "Abschnitt hinzufügen")
    field(page, "Überschrift").fill(heading)
    field(page, "Text").fill(text)
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Der Abschnitt wurde angelegt.")
    expect(main(page).get_by_role("heading", name=heading)).to_be_visible()


def propose_wording(page, section):
    """The party without the pen proposes the exact new wording of a section: the form starts from the section's
    text, to which one sentence is added."""
    tab(page, "Überblick")
    main(page).get_by_role("link", name=named("Neuen Wortlaut vorschlagen", section)).click()
    expect_heading(page, f"Neuen Wortlaut vorschlagen: {section}")
    wording = field(page, "neuer Wortlaut")
    current = wording.input_value()
    assert current.strip(), "the wording starts empty instead of from the section's text"
    wording.fill(f"{current.rstrip()} {WORDING_ADDITION}")
    field(page, "Begründung des Vorschlags").fill(WORDING_REASON)
    page.get_by_role("button", name="Vorschlag einbringen").click()
    expect_message(page, "Der Vorschlag wurde eingebracht.")


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
    # The list links the short title ("ZV 2013 MAIS NRW – Kreis Mettmann"); the full title is on the same row, exactly
    # (the demo's "1. Nachtrag zur <title>" contains it).
    main(page).get_by_role("row").filter(has=page.get_by_text(title, exact=True)).get_by_role("link").first.click()
    expect_heading(page, title)


def _open_decision(page, has_text):
    tab(page, "Vorschläge")
    main(page).get_by_role("row").filter(has_text=has_text).get_by_role(
        "link", name=re.compile(r"^Entscheiden")).click()
    expect_heading(page, "Über den Vorschlag entscheiden")


def adopt_wording(page, section):
    """The pen holder adopts the wording proposal in one step: the decision page shows the change against the
    working text; "übernommen" puts it into the working text."""
    _open_decision(page, WORDING_REASON)
    expect(main(page).locator("ins")).to_contain_text([re.compile("Halbjahr")])
    field(page, "übernommen").check()
    page.get_by_role("button", name="Entscheiden").click()
    expect_message(page, "Die Entscheidung wurde gespeichert.")
    tab(page, "Überblick")
    text = main(page).get_by_role("region", name=section)
    expect(text).to_contain_text(WORDING_ADDITION)


def decide_proposal(page):
    _open_decision(page, PROPOSAL)
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


def revise_goal_text(page):
    """The county, holding the pen again, sharpens the qualitative goal's description."""
    tab(page, "Ziele")
    main(page).get_by_role("link", name=named("Bearbeiten", GOAL_QUALITATIVE)).click()
    expect_heading(page, "Ziel bearbeiten")
    field(page, "Beschreibung").fill(COUNTY_CHANGE)
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Ziel wurde gespeichert.")


def view_redline(page, section):
    """The redline of Fassung 1 to 2: the adopted wording and the revised goal, word by word; the goal names its
    changed field."""
    tab(page, "Fassungen")
    compare = main(page).get_by_role("region", name="Fassungen vergleichen")
    field(compare, "von Fassung").select_option("1")
    field(compare, "zu Fassung").select_option("2")
    compare.get_by_role("button", name="Vergleichen").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Vergleich: Fassung 1 zu Fassung 2")
    checkpoint(page, "Vergleich")
    goal = main(page).get_by_role("article").filter(has_text=GOAL_QUANTITATIVE)
    expect(goal.locator("del")).to_contain_text(["22,1"])
    expect(goal.locator("ins")).to_contain_text(["22,5"])
    expect(goal).to_contain_text("Zielwert")
    changed = main(page).get_by_role("article").filter(has_text=section)
    expect(changed.locator("ins")).to_contain_text([re.compile("Halbjahr")])


def sign(page, person, place, day):
    main(page).get_by_role("link", name="Unterschrift erfassen").click()
    expect_heading(page, "Unterschrift erfassen")
    field(page, "unterzeichnende Person").select_option(label=person)
    field(page, "Datum der Unterschrift").fill(iso(day))
    field(page, "Ort").fill(place)
    page.get_by_role("button", name="Unterschrift erfassen").click()
    name = re.sub(r"^(Herr|Frau) ", "", person)
    confirm(page, "Unterschrift erfassen?", re.compile(rf"Für .+ unterzeichnet {re.escape(name)} \(.+\), am "
                                                       rf"{day:%d.%m.%Y} in {re.escape(place)}\."),
            "Unterschrift verbindlich erfassen")
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
    confirm(page, f"Vorlage {reference} freigeben?", "Danach kann die Vorlage nicht mehr bearbeitet werden",
            "Vorlage freigeben")
    expect_message(page, "Die Vorlage ist freigegeben; das PDF wurde gespeichert.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("freigegeben")
    return reference


def negotiate(county, ministry, title=TITLE, section=SECTION):
    """Three Fassungen, the parties in turn. The county sends Fassung 1 and, without the pen now, proposes a new
    wording of `section` and a change in words; the ministry adopts the wording in one step, rejects the other
    proposal with its reason, revises a goal and sends Fassung 2; both see the redline; the county, holding the pen
    again, revises a goal's text and sends Fassung 3."""
    send_draft(county, 1, "Erster Entwurf des Kreises Mettmann.")
    # The pen is with the ministry now: the county reads, and proposes instead of editing.
    expect(county.locator("h1 + p")).to_contain_text("am Zug: Ministerium")
    tab(county, "Ziele")
    expect(main(county).get_by_role("link", name="Ziel hinzufügen")).to_have_count(0)
    expect(main(county).get_by_role("link", name=named("Bearbeiten", GOAL_QUANTITATIVE))).to_have_count(0)
    propose_wording(county, section)
    propose(county)
    open_agreement(ministry, title)
    expect(ministry.locator("h1 + p")).to_contain_text("am Zug: Ministerium")
    adopt_wording(ministry, section)
    decide_proposal(ministry)
    revise_goal(ministry)
    send_draft(ministry, 2, "Vorschlag zu den Gesprächen übernommen, Zielwert angepasst.")
    view_redline(ministry, section)
    county.reload()
    view_redline(county, section)
    # The pen is back with the county: it edits and sends the third Fassung.
    expect(county.locator("h1 + p")).to_contain_text("am Zug: Kreis Mettmann")
    revise_goal_text(county)
    send_draft(county, 3, "Leitziel präzisiert.")


def agree_and_sign(county, ministry, pk, number=3):
    """The ministry, which received the county's Fassung `number`, accepts exactly that Fassung (the county, its
    sender, is offered no acceptance); the text is agreed, then both sign."""
    county.goto(f"/vereinbarungen/{pk}/")
    expect(main(county).get_by_role("link", name=f"Fassung {number} annehmen")).to_have_count(0)
    ministry.goto(f"/vereinbarungen/{pk}/")
    main(ministry).get_by_role("link", name=f"Fassung {number} annehmen").click()
    # The page is the acceptance's confirmation: who accepts which Fassung, and that it becomes the Endfassung.
    confirm(ministry, f"Fassung {number} annehmen", f"Damit ist der Text abgestimmt: Fassung {number} wird "
            "unverändert als Endfassung festgehalten", "Fassung verbindlich annehmen")
    expect_message(ministry, "Der Text ist abgestimmt")
    expect(main(ministry)).to_contain_text(f"hat Fassung {number} am")
    county.goto(f"/vereinbarungen/{pk}/")
    sign(county, *SIGNATORY_COUNTY, timezone.localdate())  # the text was agreed today: nobody signs earlier
    expect(main(county)).to_contain_text("1 von 2 Unterschriften")
    ministry.goto(f"/vereinbarungen/{pk}/")
    sign(ministry, *SIGNATORY_MINISTRY, timezone.localdate())
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


def review_copied_passages(page):
    """Before the first send of a follow-on its author works off the checklist of copied passages: the Fassungen tab
    offers no send but links to the checklist, where every passage (its year references marked) is ticked off;
    then the send form is there. Returns the number of passages ticked off."""
    tab(page, "Fassungen")
    expect(main(page).get_by_role("button", name="Entwurf übersenden")).to_have_count(0)
    main(page).get_by_role("link", name="Zur Prüfliste").click()
    expect(page.get_by_role("heading", level=2, name="Prüfliste der übernommenen Passagen")).to_be_visible()
    checkpoint(page, "Prüfliste der übernommenen Passagen")
    boxes = main(page).get_by_role("checkbox", name=re.compile(r"^geprüft\b"))
    count = boxes.count()
    assert count, "the follow-on has no open passage on its checklist"
    for index in range(count):
        boxes.nth(index).check()
    page.get_by_role("button", name="Ausgewählte Passagen als geprüft markieren").click()
    expect_message(page, "1 Passage wurde als geprüft markiert." if count == 1 else
                   f"{count} Passagen wurden als geprüft markiert.")
    expect(main(page)).to_contain_text(re.compile(r"(Alle \d+ übernommenen Passagen sind|Die übernommene Passage ist) "
                                                  r"geprüft\."))
    expect(boxes).to_have_count(0)
    tab(page, "Fassungen")
    expect(main(page).get_by_role("button", name="Entwurf übersenden")).to_be_visible()
    return count
