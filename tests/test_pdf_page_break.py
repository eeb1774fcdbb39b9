"""The regression of issue 10, A.2: a signature table with its caption at a page break.

WeasyPrint 69 raised "Table wrapper without a table" while tagging an agreement whose signature table, with its
caption, came to lie at a page break (the caption fits at the foot of one page, the table moves to the next); the
last signature then failed and the agreement stayed "abgestimmt, 1 von 2 Unterschriften". The filler lengths
below were found by rendering the agreement with 1 to 60 preamble paragraphs on WeasyPrint 69: 14-17 and 43-45
crashed it (7-10 with the `world` fixture's agreement).
"""

import datetime
import io

import pikepdf
import pytest
from django.utils import timezone
from pypdf import PdfReader

from agreements import models as m
from agreements.pdf.agreement import agreement_html, render_agreement
from agreements.pdf.render import html_to_pdf
from agreements.services import lifecycle

from .builders_lifecycle import send_and_accept

pytestmark = pytest.mark.django_db

CAPTION = "Unterzeichnet durch die Vereinbarungspartner"


def pdf_text_by_page(content):
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages]


def signature_agreement(paragraphs):
    """An agreed agreement of the ministry and a county, both signatures recorded, with `paragraphs` one-word
    preamble paragraphs in front of the signature table."""
    land = m.Party.objects.create(key="mais", name="Ministerium für Arbeit, Integration und Soziales",
                                  kind=m.Party.Kind.MINISTRY)
    county = m.Party.objects.create(key="kreis-mettmann", name="Kreis Mettmann", kind=m.Party.Kind.KREIS)
    agreement = m.Agreement.objects.create(title="Zielvereinbarung 2013", year=2013, status=m.Agreement.Status.AGREED,
                                           preamble="\n\n".join(["Satz"] * paragraphs))
    for order, (party, role, place) in enumerate(((land, "land", "Düsseldorf"),
                                                  (county, "kommunaler_traeger", "Mettmann"))):
        m.AgreementParty.objects.create(agreement=agreement, party=party, role=role, order=order)
        m.Signature.objects.create(agreement=agreement, party=party, signatory_name=f"Person {order}",
                                   signatory_function="Funktion", date=datetime.date(2013, 4, 2), place=place)
    return agreement


@pytest.mark.parametrize("paragraphs", [15, 44])
def test_it_renders_a_signature_table_whose_caption_ends_a_page(paragraphs):
    agreement = signature_agreement(paragraphs)
    pages = pdf_text_by_page(render_agreement(agreement).content)
    caption_page = next(i for i, text in enumerate(pages) if CAPTION in text)
    signatures_page = next(i for i, text in enumerate(pages) if "Person 1" in text)
    # The premise: this is the case at the page break (the heading "Unterschriften" is on an earlier page than
    # the signatures, or the caption and table moved over together), and it prints everything.
    assert caption_page == signatures_page, "the caption is separated from its table"
    assert "Unterschriften" in "".join(pages[:signatures_page + 1])
    assert "Person 0" in pages[signatures_page] and "Kreis Mettmann" in pages[signatures_page]


def html_as_weasyprint_69_crashed_on(agreement):
    """The agreement's HTML without the rules that keep the caption with its table (templates/pdf/agreement.html;
    since issue 13 also the whole signature block), i.e. the HTML of the crash report: the caption alone at the
    foot of a page is left to the renderer."""
    html = agreement_html(agreement)
    keep_together = (".signatures { break-inside: avoid; }", ".signatures caption { break-after: avoid; }",
                     ".signature-block { break-inside: avoid; break-before: avoid; }")
    for rule in keep_together:
        assert rule in html
        html = html.replace(rule, "")
    return html


def test_it_renders_the_html_of_the_crash_report_at_every_length_around_the_break():
    """The renderer itself (WeasyPrint >= 70) tags a table whose caption and rows lie on different pages."""
    agreement = signature_agreement(1)
    split = 0
    for paragraphs in range(12, 20):
        m.Agreement.objects.filter(pk=agreement.pk).update(preamble="\n\n".join(["Satz"] * paragraphs))
        pages = pdf_text_by_page(html_to_pdf(html_as_weasyprint_69_crashed_on(agreement)))
        caption_page = next(i for i, text in enumerate(pages) if CAPTION in text)
        split += "Person 1" not in pages[caption_page]
    assert split, "no length in the band puts the caption and the table on different pages: not the crash case"


def test_it_stores_the_signed_pdf_when_the_last_signature_lands_at_a_page_break(world):
    """The user-visible symptom: the last signature must complete the agreement, not fail."""
    m.Agreement.objects.filter(pk=world.agreement.pk).update(preamble="\n\n".join(["Satz"] * 9))
    world.agreement.refresh_from_db()
    send_and_accept(world)
    data = {"signatory_name": "Thomas Hendele", "signatory_function": "Landrat", "date": timezone.localdate(),
            "place": "Mettmann"}
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=data)
    lifecycle.sign(user=world.users.ministry, agreement=world.agreement,
                   data=dict(data, signatory_name="Dr. Wilhelm Schäffer", signatory_function="Staatssekretär",
                             place="Düsseldorf"))
    world.agreement.refresh_from_db()
    assert world.agreement.status == m.Agreement.Status.SIGNED
    assert world.agreement.signatures.count() == 2
    content = world.agreement.signed_file.file.read()
    text = "".join(pdf_text_by_page(content))
    assert "Dr. Wilhelm Schäffer" in text and "Thomas Hendele" in text and CAPTION in text
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert pdf.Root.MarkInfo.Marked
