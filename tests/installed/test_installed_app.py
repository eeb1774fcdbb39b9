"""E.15: the application started as the README starts it (`make run`: runtime dependencies only, a fresh database
with the demo, a real server process) carries a new case through its whole way in Chromium: the 2013 follow-on
of the 2012 agreement with a real PDF uploaded, the draft sent, the ministry's answer and revision, agreement,
both signatures, the committee paper written and released, and the committee member's downloads. The server
answers no request with 500 or more and logs no traceback."""

import datetime
import io
import re

import pytest

from ..builders_files import open_pdf, pdf_text
from . import runtime

TITLE_2012 = ("Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
              "Nordrhein-Westfalen und dem Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv")
TITLE_2013 = TITLE_2012.replace("2012", "2013")
MEETING = "Sitzung des Sozialausschusses zur Zielvereinbarung 2013"
# A word that is only in the uploaded PDF's text layer: the search finds the document by it only if the
# installed server read the PDF (pypdf at run time).
MARKER = "Neanderbogen"
UPLOAD_PAGES = 3


def real_pdf(title, pages):
    """A PDF as an office would upload: text on every page, made by WeasyPrint (a runtime dependency)."""
    from weasyprint import HTML

    body = "".join(
        f'<section style="break-after: page"><h1>{title}</h1><p>Seite {number}: Zielsteuerungsgespräch '
        f"im Kreishaus Mettmann, Protokoll {MARKER}.</p></section>" for number in range(1, pages + 1))
    return HTML(string=f'<html lang="de"><head><title>{title}</title></head><body>{body}</body></html>').write_pdf()


def is_tagged(content):
    """Whether the PDF declares itself tagged (a structure tree and /MarkInfo /Marked true)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(content)) as pdf:
        mark_info = pdf.Root.get("/MarkInfo")
        return "/StructTreeRoot" in pdf.Root and mark_info is not None and bool(mark_info.get("/Marked", False))


def bookmarks(content):
    import pikepdf

    with pikepdf.open(io.BytesIO(content)) as pdf, pdf.open_outline() as outline:
        return [item.title for item in outline.root]


def add_meeting(admin, day):
    """The admin plans the Sozialausschuss meeting the paper goes to (committees and meetings are kept in the
    Django admin)."""
    from playwright.sync_api import expect

    admin.goto("/admin/agreements/committee/?q=Sozialausschuss+Mettmann")
    admin.locator("#result_list").get_by_role("link", name="Sozialausschuss", exact=True).click()
    group = admin.locator("#meetings-group")
    group.get_by_role("button", name="Sitzung hinzufügen", exact=True).click()
    row = group.locator("tr.dynamic-meetings").last
    row.locator("input[name$='-name']").fill(MEETING)
    row.locator("input[name$='-start_0']").fill(day.strftime("%d.%m.%Y"))
    row.locator("input[name$='-start_1']").fill("15:00:00")
    row.locator("input[name$='-location']").fill("Kreishaus Mettmann")
    admin.get_by_role("button", name="Sichern", exact=True).click()
    expect(admin.locator(".messagelist .success")).to_be_visible()


def derive_follow_on(county):
    """The county derives the 2013 agreement from the signed 2012 one; returns its id."""
    from playwright.sync_api import expect

    from ..e2e.helpers import expect_heading, expect_message, main, nav

    nav(county, "Zielvereinbarungen")
    expect_heading(county, "Zielvereinbarungen")
    # The full title exactly: the demo's "1. Nachtrag zur <TITLE_2012>" contains it.
    main(county).get_by_role("row").filter(has=county.get_by_text(TITLE_2012, exact=True)).get_by_role(
        "link").first.click()
    expect_heading(county, TITLE_2012)
    county.get_by_role("button", name="Folgevereinbarung für das nächste Jahr").click()
    expect_message(county, "Die Folgevereinbarung wurde als Entwurf angelegt.")
    expect_heading(county, TITLE_2013)
    expect(main(county)).to_contain_text("Entwurf")
    return int(re.search(r"/vereinbarungen/(\d+)/", county.url).group(1))


def upload_document(county, title, content):
    from playwright.sync_api import expect

    from ..e2e.helpers import expect_heading, expect_message, field, main, tab

    tab(county, "Dokumente")
    main(county).get_by_role("link", name="Dokument hochladen").click()
    expect_heading(county, "Dokument hochladen")
    field(county, "Titel").fill(title)
    field(county, "Datei").set_input_files(
        files=[{"name": "protokoll-zielsteuerungsgespraech.pdf", "mimeType": "application/pdf", "buffer": content}])
    county.get_by_role("button", name="Hochladen").click()
    expect_message(county, "Das Dokument wurde gespeichert.")
    expect(main(county).get_by_role("table")).to_contain_text(title)


def search(page, words):
    from ..e2e.helpers import main

    page.get_by_role("search").get_by_label("Suchbegriffe").fill(words)
    page.get_by_role("search").get_by_role("button", name="Suchen").click()
    return main(page)


@pytest.mark.installed
def test_it_carries_the_2013_agreement_to_the_committee_on_the_installed_app(installed_server, installed_pages):
    from playwright.sync_api import expect

    from ..e2e.helpers import download, main, tab, today
    from ..e2e.journey import (
        add_goals,
        add_offer,
        agree_and_sign,
        committee_papers,
        create_vorlage,
        negotiate,
        open_agreement,
        review_copied_passages,
    )

    meeting_day = today() + datetime.timedelta(days=14)
    add_meeting(installed_pages.login("admin"), meeting_day)

    # The county derives the 2013 agreement from 2012, adds goals and an offer and uploads the minutes (a real
    # PDF); the search finds the upload by a word of its text.
    county = installed_pages.login("kreis-editor")
    pk = derive_follow_on(county)
    add_goals(county)
    add_offer(county)
    protocol = real_pdf("Protokoll des Zielsteuerungsgesprächs", 2)
    upload_document(county, "Protokoll des Zielsteuerungsgesprächs 2013", protocol)
    results = search(county, MARKER)
    expect(results.get_by_role("status")).to_have_text("1 Treffer")
    expect(results.get_by_role("article")).to_contain_text("Protokoll des Zielsteuerungsgesprächs 2013")
    open_agreement(county, TITLE_2013)

    # The follow-on is next year's: before its first Fassung the county works off the checklist of what it copied
    # from 2012 (title, preamble, five sections, five goals, seven offers), each with its year references marked:
    # "2012" moved to 2013, the Liga's statement of 23.01.2012 kept.
    assert review_copied_passages(county) == 19
    tab(county, "Überblick")
    main(county).get_by_role("link", name="Zur Prüfliste").click()
    expect(main(county).locator("ins", has_text="2013").first).to_be_visible()
    expect(main(county).locator("mark", has_text="2012")).to_have_count(1)
    open_agreement(county, TITLE_2013)

    # Three Fassungen in turn (a wording proposal on § 4 adopted, another proposal rejected with its reason, the
    # redline), the ministry's acceptance of the third and both signatures.
    ministry = installed_pages.login("mais-editor")
    negotiate(county, ministry, TITLE_2013, section="§ 4 Zielnachhaltung")
    agree_and_sign(county, ministry, pk)
    name, signed = download(ministry, main(ministry).get_by_role("link", name="PDF herunterladen"))
    assert name.endswith(".pdf")
    assert open_pdf(signed) >= 1
    # The signed 2013 text speaks of 2013 where it speaks of its own year (issue 12: "im Jahr 2012" reached it).
    text = " ".join(pdf_text(signed).split())
    assert "im Jahr 2013" in text and "im Jahr 2012" not in text and "für das Jahr 2012" not in text

    # The Vorlage, written from the agreement with an uploaded Anlage and released.
    upload = real_pdf("Teilnehmerliste des Zielsteuerungsgesprächs", UPLOAD_PAGES)
    # The meeting is offered by its committee, date and time (Meeting.__str__), never by its own name.
    meeting_label = f"Sozialausschuss, {meeting_day:%d.%m.%Y}, 15:00 Uhr"
    reference = create_vorlage(county, meeting_label, meeting_day, upload, TITLE_2013)

    # The committee member downloads the paper, the Gesamtdokument and the Anlagen.
    # The Anlagen: the signed agreement, the minutes uploaded to it as an annex, and the list uploaded to the paper.
    papers = committee_papers(installed_pages.login("ausschuss"), reference, anlagen=3)
    name, vorlage = papers.vorlage
    assert name == f"Vorlage-{reference.replace('/', '-')}.pdf"
    vorlage_pages = open_pdf(vorlage)
    assert vorlage_pages >= 2
    anlagen = [content for _, content in papers.anlagen]
    assert protocol in anlagen and upload in anlagen  # the uploaded files, byte for byte
    anlage_pages = [open_pdf(content) for content in anlagen]
    bundle_pages = open_pdf(papers.bundle[1])
    # The Gesamtdokument: its contents, the Vorlage and every Anlage, one bookmark each.
    assert bundle_pages > vorlage_pages + sum(anlage_pages)
    assert len(bookmarks(papers.bundle[1])) == 2 + len(anlagen)
    # The Vorlage and the signed agreement are tagged (PDF/A-3a); the Gesamtdokument is tagged exactly when all its
    # parts are (the uploads here are untagged office PDFs, so it must not claim tags it does not have).
    assert is_tagged(vorlage) and is_tagged(signed)
    assert is_tagged(papers.bundle[1]) == all(is_tagged(content) for content in anlagen)

    # The server logged every request, none answered >= 500, and no traceback.
    log = installed_server.log_text()
    requests = runtime.requests_in(log)
    assert len(requests) >= 50, f"only {len(requests)} requests logged:\n{runtime.tail(installed_server.log)}"
    failed, tracebacks = runtime.server_errors(log)
    assert not failed and not tracebacks, "server errors:\n" + "\n".join(failed) + "\n\n" + "\n\n".join(tracebacks)
