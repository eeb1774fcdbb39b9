"""The follow-on in the browser: the county derives the 2013 agreement from the 2012 demo, is told on the Fassungen
tab that its copied passages wait for review, works the checklist off by keyboard-reachable checkboxes (axe-core on
every page passed) and then finds the send form."""

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from .helpers import expect_heading, expect_message, main, tab  # noqa: E402
from .journey import open_agreement, review_copied_passages  # noqa: E402

TITLE_2012 = ("Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
              "Nordrhein-Westfalen und dem Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv")
TITLE_2013 = TITLE_2012.replace("2012", "2013")


def test_the_author_works_off_the_checklist_before_the_first_send(pages, demo, audit):
    county = pages.login("kreis-editor")
    open_agreement(county, TITLE_2012)
    county.get_by_role("button", name="Folgevereinbarung für das nächste Jahr").click()
    expect_message(county, "Die Folgevereinbarung wurde als Entwurf angelegt.")
    expect_heading(county, TITLE_2013)
    expect(main(county)).to_contain_text("19 von 19 übernommenen Passagen sind noch nicht geprüft.")

    # The preamble on the checklist: the years that follow the agreement's moved, marked as changes.
    tab(county, "Überblick")
    main(county).get_by_role("link", name="Zur Prüfliste").click()
    preamble = main(county).get_by_role("article").filter(has=county.get_by_role("heading", name="Präambel"))
    expect(preamble.locator("del")).to_have_text([re.compile("2012"), re.compile("2011"), re.compile("2012")])
    expect(preamble.locator("ins")).to_have_text([re.compile("2013"), re.compile("2012"), re.compile("2013")])
    liga = main(county).get_by_role("article").filter(
        has=county.get_by_role("heading", name="Abschnitt: § 1 Gegenstand"))
    expect(liga).to_contain_text("2012: unverändert (Datum eines Ereignisses)")
    audit.check(county, "Prüfliste")

    # Nothing ticked: the form says so, at the checkboxes.
    county.get_by_role("button", name="Ausgewählte Passagen als geprüft markieren").click()
    expect(main(county).get_by_role("alert")).to_contain_text("Wählen Sie mindestens eine Passage aus")
    audit.check(county, "Prüfliste mit Fehler", expect_errors=True)

    # The Fassungen tab offers no send yet but the way to the checklist, which is then worked off.
    open_agreement(county, TITLE_2013)
    assert review_copied_passages(county) == 19
    assert not audit.problems, audit.report()
