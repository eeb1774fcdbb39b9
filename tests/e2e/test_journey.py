"""The whole way of a 2013 agreement, in the browser: the county drafts it and sends it, the ministry answers a
proposal and revises a goal, both agree and sign, the county writes and releases the committee paper, and a
committee member downloads the papers for the meeting."""

import datetime
import io
import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from .helpers import (  # noqa: E402
    MAIS,
    checkpoint,
    download,
    expect_heading,
    expect_message,
    field,
    iso,
    main,
    make_pdf,
    named,
    nav,
    pdf_pages,
    tab,
    today,
)

TITLE = "Zielvereinbarung 2013 zwischen dem MAIS NRW und dem Kreis Mettmann"
GOAL_QUALITATIVE = "Senkung der Kosten der Unterkunft"
GOAL_QUANTITATIVE = "Integrationsquote der Alleinerziehenden steigern"
OFFER = "Fachtagung Alleinerziehende"
PROPOSAL = "Trilaterale Zielvereinbarungsgespräche mit dem Jobcenter aufnehmen"
REASON = "Trilaterale Gespräche sind für 2013 nicht vorgesehen."


def _future_meeting():
    """The next meeting of the Sozialausschuss; committees and meetings are kept by the admin."""
    from django.utils import timezone

    from agreements import models as m

    committee = m.Committee.objects.get(party__key="kreis-mettmann", name="Sozialausschuss")
    start = timezone.make_aware(datetime.datetime.combine(today() + datetime.timedelta(days=14),
                                                          datetime.time(15, 0)))
    return m.Meeting.objects.create(committee=committee, start=start, location="Kreishaus Mettmann")


def _create_agreement(page):
    nav(page, "Zielvereinbarungen")
    expect_heading(page, "Zielvereinbarungen")
    main(page).get_by_role("link", name="Neue Zielvereinbarung").click()
    expect_heading(page, "Neue Zielvereinbarung")
    field(page, "Titel").fill(TITLE)
    field(page, "Jahr").fill("2013")
    field(page, "Laufzeit von").fill("2013-01-01")
    field(page, "Laufzeit bis").fill("2013-12-31")
    field(page, "Land (Ministerium)").select_option(label=MAIS)
    field(page, "kommunaler Träger").select_option(label="Kreis Mettmann")
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Die Zielvereinbarung wurde angelegt.")
    expect_heading(page, TITLE)
    return int(re.search(r"/vereinbarungen/(\d+)/", page.url).group(1))


def _add_goals(page):
    tab(page, "Ziele")
    main(page).get_by_role("link", name="Ziel hinzufügen", exact=True).click()
    expect_heading(page, "Ziel hinzufügen")
    field(page, "Zielart").select_option(label="qualitativ (Leitziel / Tendenz)")
    field(page, "Zielebene").select_option(label="Landesziel")
    field(page, "Handlungsfeld").select_option(label="Kosten der Unterkunft und Heizung (KdU)")
    field(page, "Titel").fill(GOAL_QUALITATIVE)
    field(page, "Beschreibung").fill("Die Summe der Leistungen für Unterkunft und Heizung soll sinken.")
    field(page, "Tendenz").select_option(label="Senkung")
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Ziel wurde angelegt.")

    main(page).get_by_role("link", name="Ziel hinzufügen", exact=True).click()
    expect_heading(page, "Ziel hinzufügen")
    field(page, "Zielart").select_option(label="quantitativ")
    field(page, "Zielebene").select_option(label="lokales Ziel")
    field(page, "Handlungsfeld").select_option(label="K2 Verbesserung der Integration in Erwerbstätigkeit")
    field(page, "Titel").fill(GOAL_QUANTITATIVE)
    field(page, "Kennzahl").select_option(label="\u2003K2E4 – Integrationsquote der Alleinerziehenden")
    field(page, "Referenzwert").fill("21,4")
    field(page, "Korridor untere Grenze").fill("20,5")
    field(page, "Korridor obere Grenze").fill("23")
    field(page, "Zielwert").fill("22,1")
    field(page, "Einheit").fill("%")
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Ziel wurde angelegt.")
    goal = main(page).get_by_role("article").filter(has_text=GOAL_QUANTITATIVE)
    expect(goal).to_contain_text("21,4 %")
    expect(goal).to_contain_text("20,5 bis 23 %")
    expect(goal).to_contain_text("22,1 %")
    expect(main(page).get_by_role("article").filter(has_text=GOAL_QUALITATIVE)).to_contain_text("Senkung")


def _add_offer(page):
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


def _send_draft(page, number, note):
    tab(page, "Fassungen")
    field(page, "Anmerkung zur Übersendung").fill(note)
    page.get_by_role("button", name="Entwurf übersenden").click()
    expect_message(page, f"Fassung {number} wurde übersandt.")
    expect(main(page).get_by_role("table").get_by_role("link", name=f"Fassung {number}")).to_be_visible()


def _propose(page):
    tab(page, "Vorschläge")
    main(page).get_by_role("link", name="Vorschlag einbringen").click()
    expect_heading(page, "Vorschlag einbringen")
    field(page, "Vorschlag").fill(PROPOSAL)
    field(page, "betrifft").fill("§ 2 Ziele")
    page.get_by_role("button", name="Vorschlag einbringen").click()
    expect_message(page, "Der Vorschlag wurde eingebracht.")


def _open_agreement(page):
    nav(page, "Zielvereinbarungen")
    expect_heading(page, "Zielvereinbarungen")
    main(page).get_by_role("link", name=TITLE).click()
    expect_heading(page, TITLE)


def _decide_proposal(page):
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


def _revise_goal(page):
    tab(page, "Ziele")
    main(page).get_by_role("link", name=named("Bearbeiten", GOAL_QUANTITATIVE)).click()
    expect_heading(page, "Ziel bearbeiten")
    expect(field(page, "Zielwert")).to_have_value("22,1")
    field(page, "Zielwert").fill("22,5")
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Das Ziel wurde gespeichert.")
    expect(main(page).get_by_role("article").filter(has_text=GOAL_QUANTITATIVE)).to_contain_text("22,5 %")


def _view_redline(page):
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


def _sign(page, person, place, day):
    main(page).get_by_role("link", name="Unterschrift erfassen").click()
    expect_heading(page, "Unterschrift erfassen")
    field(page, "unterzeichnende Person").select_option(label=person)
    field(page, "Datum der Unterschrift").fill(iso(day))
    field(page, "Ort").fill(place)
    page.get_by_role("button", name="Unterschrift erfassen").click()
    expect_message(page, "Die Unterschrift wurde erfasst.")


def _create_vorlage(page, meeting, upload):
    nav(page, "Vorlagen")
    expect_heading(page, "Vorlagen")
    main(page).get_by_role("link", name="Vorlage zu einer Zielvereinbarung").click()
    expect_heading(page, "Vorlage zu einer Zielvereinbarung")
    field(page, "Zielvereinbarung").select_option(label=TITLE)
    field(page, "Fachbereich").select_option(label="Kreis Mettmann: 50 Sozialamt")
    expect(field(page, "Bearbeiter/in")).to_have_value(re.compile(r"\d+"))  # the logged-in author
    page.get_by_role("button", name="Vorlage anlegen").click()
    expect_message(page, "Die Vorlage wurde aus der Zielvereinbarung vorbereitet.")
    reference = re.search(r"Vorlage (50/\d{3}/\d{4})", page.get_by_role("heading", level=1).inner_text()).group(1)

    main(page).get_by_role("link", name="Gremium hinzufügen").click()
    expect_heading(page, "Gremium in die Beratungsfolge aufnehmen")
    field(page, "Gremium").select_option(label="Sozialausschuss")
    field(page, "Sitzung").select_option(label=str(meeting))
    field(page, "Art der Beratung").select_option(label="Kenntnisnahme")
    field(page, "abschließend").check()
    page.get_by_role("button", name="Speichern").click()
    expect_message(page, "Die Beratungsfolge wurde gespeichert.")
    consultations = main(page).get_by_role("table", name=re.compile("Beratungsfolge"))
    expect(consultations).to_contain_text("Sozialausschuss")
    expect(consultations).to_contain_text(meeting.start.strftime("%d.%m.%Y"))

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


@pytest.mark.e2e
def test_it_goes_from_the_first_draft_to_the_committee_papers(pages, demo, audit):
    meeting = _future_meeting()
    county = pages.login("kreis-editor")

    # The county drafts the agreement and sends it.
    pk = _create_agreement(county)
    _add_goals(county)
    _add_offer(county)
    _send_draft(county, 1, "Erster Entwurf des Kreises Mettmann.")
    _propose(county)

    # The ministry answers the proposal, revises a goal and sends its version; the redline shows the change.
    ministry = pages.login("mais-editor")
    _open_agreement(ministry)
    _decide_proposal(ministry)
    _revise_goal(ministry)
    _send_draft(ministry, 2, "Zielwert angepasst.")
    _view_redline(ministry)
    county.reload()
    _view_redline(county)

    # Both agree on the text and sign it.
    tab(county, "Überblick")
    main(county).get_by_role("link", name="Text abstimmen").click()
    expect_heading(county, "Text abstimmen")
    county.get_by_role("button", name="Text als abgestimmt feststellen").click()
    expect_message(county, "Der Text ist abgestimmt")
    _sign(county, "Herr Thomas Hendele", "Mettmann", datetime.date(2013, 4, 10))
    expect(main(county)).to_contain_text("1 von 2 Unterschriften")
    ministry.goto(f"/vereinbarungen/{pk}/")
    _sign(ministry, "Herr Dr. Wilhelm Schäffer", "Düsseldorf", datetime.date(2013, 4, 16))
    expect(main(ministry)).to_contain_text("2 von 2 Unterschriften")
    expect(main(ministry).get_by_role("link", name="PDF herunterladen")).to_be_visible()

    # The county writes the committee paper from the agreement and releases it.
    upload = make_pdf(3)
    reference = _create_vorlage(county, meeting, upload)

    # A member of the Sozialausschuss finds it among the papers of the coming meeting and downloads them.
    member = pages.login("ausschuss")
    nav(member, "Meine Sitzungsunterlagen")
    expect_heading(member, "Meine Sitzungsunterlagen")
    row = main(member).get_by_role("row").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kenntnisnahme")
    name, vorlage_pdf = download(member, row.get_by_role("link", name="Vorlage (PDF)"))
    assert name == f"Vorlage-{reference.replace('/', '-')}.pdf"
    vorlage_pages = pdf_pages(vorlage_pdf)
    assert vorlage_pages >= 2
    _, bundle = download(member, row.get_by_role("link", name="Gesamtdokument mit Anlagen"))
    anlage_links = row.get_by_role("listitem").get_by_role("link")
    expect(anlage_links).to_have_count(2)
    anlage_pages = [pdf_pages(download(member, anlage_links.nth(i))[1]) for i in range(2)]
    assert anlage_pages[1] == 3  # the uploaded list, unchanged

    reader = PdfReader(io.BytesIO(bundle))
    outline = [item for item in reader.outline if not isinstance(item, list)]
    starts = [reader.get_destination_page_number(item) for item in outline]
    # Bookmarks: the contents, the Vorlage, one per Anlage; the Vorlage starts right after the contents.
    assert len(outline) == 2 + len(anlage_pages)
    toc_pages = starts[1]
    assert toc_pages >= 1
    assert len(reader.pages) == toc_pages + vorlage_pages + sum(anlage_pages)
    assert starts[2:] == [toc_pages + vorlage_pages, toc_pages + vorlage_pages + anlage_pages[0]]

    # The reading view of the paper.
    main(member).get_by_role("link", name=reference).click()
    expect_heading(member, f"Vorlage {reference}")
    expect(main(member)).to_contain_text("Sozialausschuss")

    # Every page on the way passed axe (WCAG 2.0/2.1 A, AA) and the structure checks (see a11y.py).
    assert len(audit.pages) >= 30
    assert not audit.problems, audit.report()
