"""Issue 15 on the application as installed (`make run`: runtime dependencies only, a fresh database with the demo,
a real server process): electronic signatures (PAdES with pyHanko) work there, not only in-process under the dev
venv.

- The demo's "1. Nachtrag zur Zielvereinbarung 2012", signed electronically by MAIS NRW and the Kreis Mettmann when
  `make run` loaded the demo: its page says so, the validation page finds both signatures intact and trusted, and the
  signed file and the signature receipt (PDF/A-3) download.
- A new electronic signing through the pages: the admin switches the demo timestamp authority on; the ministry
  accepts the Rhein-Kreis Neuss's Fassung 2 (the demo's Neuss case, the ministry "am Zug"), then signs
  electronically, then the Kreis; the validation page finds both signatures intact and trusted.

The server answers no request with 500 or more and logs no traceback.
"""

import hashlib
import io
import re

import pytest

from ..builders_files import open_pdf, pdf_text
from . import runtime

MAIS = "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen"
AMENDMENT = "1. Nachtrag zur Zielvereinbarung 2012"
TITLE_NEUSS = ("Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
               "Nordrhein-Westfalen und dem Rhein-Kreis Neuss als kommunaler Träger des Jobcenters Rhein-Kreis Neuss")
DEMO_TSA = "DEMO-Zeitstempeldienst (nur für die Demo)"
INTACT = "Alle Signaturen sind unversehrt"
TRUSTED = "Alle Zertifikate führen zu einem eingerichteten Vertrauensanker"
INCOMPLETE = "Es haben noch nicht alle Parteien unterzeichnet."


def pdfa_part(content):
    """The PDF/A part the file's XMP metadata declares (pdfaid:part), or None."""
    import pikepdf

    with pikepdf.open(io.BytesIO(content)) as pdf:
        return pdf.open_metadata().get("pdfaid:part")


def agreement_pk(page):
    return int(re.search(r"/vereinbarungen/(\d+)/", page.url).group(1))


def check_signatures(page, pk, parties, *, complete=True):
    """From the agreement's page, "Signaturen prüfen": the validation page of the stored file says every signature
    is intact and every certificate trusted, names each party's signature, each "Unversehrt und gültig: ja"; returns
    the SHA-256 of the checked file as the page shows it."""
    from playwright.sync_api import expect

    from ..e2e.helpers import main

    main(page).get_by_role("link", name="Signaturen prüfen", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/vereinbarungen/{pk}/signaturpruefung/$"))
    expect(page.get_by_role("heading", level=2, name="Signaturprüfung", exact=True)).to_be_visible()
    verdict = main(page).get_by_role("status").filter(has_text=INTACT)
    expect(verdict).to_contain_text(TRUSTED)
    if complete:
        expect(verdict).not_to_contain_text(INCOMPLETE)
    else:
        expect(verdict).to_contain_text(INCOMPLETE)
    expect(main(page)).not_to_contain_text("Nicht alle Zertifikate")
    for party in parties:
        card = main(page).locator("section").filter(
            has=page.get_by_role("heading", level=3, name=f"Unterschrift für {party}", exact=True))
        expect(card).to_have_count(1)
        expect(card.locator("dt", has_text="Unversehrt und gültig").locator("xpath=following-sibling::dd[1]")
               ).to_have_text("ja")
        expect(card.locator("dt", has_text="Vertrauenswürdig").locator("xpath=following-sibling::dd[1]")
               ).to_have_text("ja")
    sha256 = main(page).locator("p", has_text="Geprüft wurde die gespeicherte Datei").locator("code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256.strip()), sha256
    return sha256.strip()


def download_signed_and_receipt(page, sha256):
    """On the validation page: the signed file (exactly the file checked: its SHA-256) and the receipt (PDF/A-3,
    naming that SHA-256)."""
    from ..e2e.helpers import download, main

    name, signed = download(page, main(page).get_by_role("link", name="Signierte Datei herunterladen", exact=True))
    assert name.endswith(".pdf"), name
    assert open_pdf(signed) >= 1
    assert hashlib.sha256(signed).hexdigest() == sha256
    assert b"/ByteRange" in signed  # a signed PDF

    name, receipt = download(page, main(page).get_by_role("link", name="Signaturprotokoll (PDF/A)", exact=True))
    assert name.endswith(".pdf"), name
    assert open_pdf(receipt) >= 1
    assert pdfa_part(receipt) == "3"
    # A hash may wrap across lines in the PDF's text.
    assert sha256 in re.sub(r"\s+", "", pdf_text(receipt))
    return signed, receipt


def activate_demo_tsa(admin):
    from playwright.sync_api import expect

    admin.goto("/admin/agreements/timestampauthority/")
    admin.locator("#result_list").get_by_role("link", name=DEMO_TSA, exact=True).click()
    active = admin.get_by_role("checkbox", name="Aktiv", exact=True)
    expect(active).not_to_be_checked()  # the demo switches it off after the Nachtrag
    active.check()
    admin.get_by_role("button", name="Sichern", exact=True).click()
    expect(admin.locator(".messagelist .success")).to_be_visible()
    row = admin.locator("#result_list tr").filter(has_text=DEMO_TSA)
    expect(row.locator("img[alt='True']")).to_have_count(1)


def sign_electronically(page, pk, name, function, place, *, last):
    from playwright.sync_api import expect

    from ..e2e.helpers import expect_heading, expect_message, field, main
    from ..e2e.journey import confirm

    page.goto(f"/vereinbarungen/{pk}/")
    main(page).get_by_role("link", name="Elektronisch unterzeichnen", exact=True).click()
    expect_heading(page, "Elektronisch unterzeichnen")
    field(page, "Name").fill(name)
    field(page, "Funktion").fill(function)
    field(page, "Ort").fill(place)
    page.get_by_role("button", name="Elektronisch unterzeichnen", exact=True).click()
    confirm(page, "Elektronisch unterzeichnen?", re.compile(rf"unterzeichnet {re.escape(name)} .*jetzt elektronisch "
                                                            rf"in {re.escape(place)}"),
            "Jetzt verbindlich elektronisch unterzeichnen")
    expect_message(page, "Die Zielvereinbarung wurde elektronisch unterzeichnet.")
    expect(main(page)).to_contain_text(f"{2 if last else 1} von 2 Unterschriften")
    expect(main(page).locator("li", has_text=name)).to_contain_text("elektronisch unterzeichnet am")


def assert_server_clean(server):
    log = server.log_text()
    failed, tracebacks = runtime.server_errors(log)
    assert not failed and not tracebacks, "server errors:\n" + "\n".join(failed) + "\n\n" + "\n\n".join(tracebacks)


@pytest.mark.installed
def test_the_demo_amendment_validates_on_the_installed_app(installed_server, installed_pages):
    from playwright.sync_api import expect

    from ..e2e.helpers import expect_heading, main, nav

    ministry = installed_pages.login("mais-editor")
    nav(ministry, "Zielvereinbarungen")
    expect_heading(ministry, "Zielvereinbarungen")
    main(ministry).get_by_role("row").filter(has_text=AMENDMENT).get_by_role("link").first.click()
    expect_heading(ministry, re.compile(rf"^{re.escape(AMENDMENT)}"))
    pk = agreement_pk(ministry)
    overview = main(ministry)
    expect(overview).to_contain_text("2 von 2 Unterschriften")
    expect(overview).to_contain_text("elektronisch mit PAdES-Signatur und Zeitstempel")
    expect(overview.locator("li", has_text="elektronisch unterzeichnet am")).to_have_count(2)
    expect(overview).to_contain_text("elektronisch signiert")
    expect(overview.get_by_role("link", name="PDF herunterladen", exact=True)).to_be_visible()

    sha256 = check_signatures(ministry, pk, [MAIS, "Kreis Mettmann"])
    download_signed_and_receipt(ministry, sha256)
    assert_server_clean(installed_server)


@pytest.mark.installed
def test_it_signs_electronically_through_the_pages_on_the_installed_app(installed_server, installed_pages):
    from playwright.sync_api import expect

    from ..e2e.helpers import expect_message, main
    from ..e2e.journey import confirm, open_agreement

    activate_demo_tsa(installed_pages.login("admin"))

    # The demo's Neuss case: the Kreis sent Fassung 2, the ministry is "am Zug" and accepts it.
    ministry = installed_pages.login("mais-editor")
    open_agreement(ministry, TITLE_NEUSS)
    pk = agreement_pk(ministry)
    main(ministry).get_by_role("link", name="Fassung 2 annehmen", exact=True).click()
    confirm(ministry, "Fassung 2 annehmen",
            "Damit ist der Text abgestimmt: Fassung 2 wird unverändert als Endfassung festgehalten",
            "Fassung verbindlich annehmen")
    expect_message(ministry, "Der Text ist abgestimmt")
    expect(main(ministry)).to_contain_text("elektronisch mit PAdES-Signatur und Zeitstempel")
    expect(main(ministry)).not_to_contain_text("Elektronisch unterzeichnet werden kann erst")

    # The parties' order: the ministry first; the Kreis is offered no signing before.
    county = installed_pages.login("neuss-editor")
    county.goto(f"/vereinbarungen/{pk}/")
    expect(main(county).get_by_role("link", name="Elektronisch unterzeichnen")).to_have_count(0)
    sign_electronically(ministry, pk, "Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf", last=False)
    check_signatures(ministry, pk, [MAIS], complete=False)

    sign_electronically(county, pk, "Hans-Jürgen Petrauschke", "Landrat", "Neuss", last=True)
    expect(main(county)).to_contain_text("elektronisch signiert")
    sha256 = check_signatures(county, pk, [MAIS, "Rhein-Kreis Neuss"])
    download_signed_and_receipt(county, sha256)

    requests = runtime.requests_in(installed_server.log_text())
    assert any(method == "POST" and path == f"/vereinbarungen/{pk}/unterzeichnen/" and status == 302
               for method, path, status in requests), "no signing POST logged"
    assert_server_clean(installed_server)
