"""The steps of the accessibility audit (test_accessibility.py): each one opens a page (or submits a form) and
checks it with the Audit (a11y.py); and the steps and data of the electronic signing pages (issue 15)."""

from django.utils.translation import gettext as t

from .helpers import field, main

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


# --- Electronic signatures (issue 15) ---------------------------------------------------------------------------


def agreed_for_electronic_signing(world):
    """A second Nachtrag to the 2012 agreement, agreed: both its parties (MAIS NRW first, then the Kreis Mettmann)
    have the demo's keys, so that it is signed electronically once the demo TSA is switched on."""
    from agreements.services import lifecycle, versions

    county, ministry = world.users["kreis-editor"], world.users["mais-editor"]
    amendment = lifecycle.create_amendment(user=county, agreement=world.a12)
    versions.send_draft(user=county, agreement=amendment)
    lifecycle.agree(user=ministry, agreement=amendment)
    return amendment


def demo_tsa(active):
    """The demo's timestamp authority switched on or off (load_demo leaves it off once the Nachtrag is signed):
    with it on, an agreement whose parties all have keys is signed electronically (services.signing.method_for)."""
    from agreements import models as m

    m.TimestampAuthority.objects.filter(is_demo=True).update(is_active=active)


def ministry_signs_electronically(world, agreement):
    """The ministry, first in the agreement's order, seals its signature (rendering and sealing the PDF/A). Here,
    in Playwright's thread with its running event loop, pyHanko's part runs in a thread of its own
    (agreements/signing/loop.py)."""
    from agreements.services import lifecycle

    lifecycle.sign(user=world.users["mais-editor"], agreement=agreement, data={
        "signatory_name": "Dr. Wilhelm Schäffer", "signatory_function": "Staatssekretär", "place": "Düsseldorf"})


def signed_amendment_pages(world):
    """The demo's Nachtrag, signed electronically by both parties (issue 15): the overview with how it was signed,
    and the validation of its signed file."""
    base = f"/vereinbarungen/{world.nachtrag.pk}/"
    return [
        visit("Überblick (elektronisch unterzeichnet)", base),
        signature_check("Signaturprüfung", base, signatures=2),
    ]


def signature_check(label, base, *, signatures):
    """The validation page of the agreement at `base`: the file validated, a section per signature."""

    def step(page, audit):
        visit(label, base + "signaturpruefung/")(page, audit)
        refused = main(page).get_by_role("alert")
        if refused.count():
            audit.problems.append(f"{label}: the signed file was not validated: {refused.first.inner_text()!r}")
        found = main(page).locator("section.card").count()
        if found != signatures:
            audit.problems.append(f"{label}: {found} signature(s) shown, expected {signatures}")

    return step


def electronic_sign_form(base, state, signatory):
    """The signing form of the agreement at `base` for the party that signs next, electronically (no date: the
    timestamp's); the form sent with nobody named (an error of the whole form: no field is marked, the message must
    be shown); and its confirmation page (nothing signed yet). `signatory`: (name, function, place)."""
    url = base + "unterzeichnen/"
    name, function, place = signatory
    button = t("Elektronisch unterzeichnen")
    nobody = t("Bitte wählen Sie eine Person oder tragen Sie Name und Funktion der unterzeichnenden Person ein.")

    def place_only(page):  # the browser itself asks for the place
        field(page, t("Ort")).fill(place)

    def signatory_named(page):
        field(page, t("Name")).fill(name)
        field(page, t("Funktion")).fill(function)
        place_only(page)

    def nobody_named(page, audit):
        label = f"Elektronisch unterzeichnen ohne Person ({state})"
        submit(label, url, place_only, button, errors=False)(page, audit)
        if main(page).get_by_text(nobody).count() != 1:
            audit.problems.append(f"{label}: the form does not say that nobody is named")

    def form(page, audit):
        label = f"Elektronisch unterzeichnen ({state})"
        visit(label, url)(page, audit)
        if main(page).get_by_label(t("Datum der Unterschrift")).count():
            audit.problems.append(f"{label}: the electronic signature asks for a date")

    return [
        form,
        nobody_named,
        submit(f"Rückfrage: elektronisch unterzeichnen ({state})", url, signatory_named, button, errors=False),
    ]
