"""The demo's Anlagen as PDFs: the 2012 agreement, the overview of the offers and the three letters of the
negotiation, rendered by the app's own PDF renderer. The reference names these papers but does not contain
them: every PDF says that it is a reconstruction.
"""

import contextlib
import datetime
import functools
import html
import os
import re
from typing import NamedTuple

from django.utils.html import escape, strip_tags

from agreements.data.catalogue import TOPICS
from agreements.data.demo.agreement_2012 import GOALS_2012, OFFERS_2012, PREAMBLE_2012, SECTIONS_2012, TITLE_2012
from agreements.models import Document, Goal, Letter
from agreements.pdf.render import html_to_pdf

# fontTools stamps the embedded font subsets with "now" unless SOURCE_DATE_EPOCH is set; a fixed stamp (the
# Vorlage's date) makes the same page render to the same bytes, so a re-run finds its Document by SHA-256.
PDF_SOURCE_DATE_EPOCH = "1334786400"  # 19.04.2012 00:00 Europe/Berlin

ANLAGE_AGREEMENT = "Zielvereinbarung MAIS – Kreis Mettmann 2012"
ANLAGE_OFFERS = "Anlage zur Zielvereinbarung"
ANLAGE_LANDRAT = "Anschreiben des Landrates vom 04.03.2012 an das MAIS"
ANLAGE_MAIS = "Schreiben des MAIS NRW vom 29.03.2012"
ANLAGE_LIGA = "Schreiben der Liga der Wohlfahrtsverbände vom 23.01.2012"
# In the Vorlage's order, which is also the order the documents are created in.
VORLAGE_ANLAGEN = (ANLAGE_AGREEMENT, ANLAGE_OFFERS, ANLAGE_LANDRAT, ANLAGE_MAIS, ANLAGE_LIGA)

MAIS_NAME = "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen"

LIGA_SUMMARY = (
    "Die Liga der Wohlfahrtsverbände nimmt aus arbeitsmarktpolitischer Sicht zu den Zielen des Kreises "
    "Mettmann für 2012 Stellung. Sie regt an, Alleinerziehende und Langzeitleistungsbeziehende besonders zu "
    "fördern, die kommunalen Eingliederungsleistungen nach § 16a SGB II zu sichern und öffentlich geförderte "
    "Beschäftigung auszubauen, und bietet die Mitwirkung der Verbände bei der Umsetzung an."
)
LANDRAT_SUMMARY = (
    "Der Landrat übersendet die Anmerkungen des Kreises Mettmann zum Entwurf der Zielvereinbarung 2012. Er "
    "bittet erneut, die Stellungnahme der Liga der Wohlfahrtsverbände als Anlage aufzunehmen, und hält an "
    "den Vorschlägen des Kreises zu zusätzlichen Landesmitteln für kommunale Beschäftigungsprojekte und zu "
    "einem gemeinsamen Nachhaltedialog mit dem Jobcenter ME-aktiv und der Regionaldirektion NRW fest."
)
MAIS_SUMMARY = (
    "Das MAIS NRW erläutert, welche Vorschläge des Kreises Mettmann in die Zielvereinbarung 2012 übernommen "
    "wurden und aus welchen Gründen einige Vorschläge nicht oder nicht vollständig übernommen werden konnten."
)


class DemoLetter(NamedTuple):
    """A letter of the negotiation: its PDF (an Anlage of the Vorlage) and its row, as the Kreis registered it."""

    anlage: str
    kind: str  # Document.Kind
    filename: str
    date: datetime.date
    sender: str  # party key
    letterhead: str
    recipient: str  # party key
    addressee: str
    subject: str
    summary: str
    direction: str
    signed_by: str | None = None  # the person who signed it, a key of people.load_people's result


# In the order of their dates.
LETTERS_2012 = (
    DemoLetter(
        ANLAGE_LIGA, Document.Kind.STATEMENT, "stellungnahme-liga-2012-01-23.pdf", datetime.date(2012, 1, 23),
        "liga-nrw", "Liga der Wohlfahrtsverbände", "kreis-mettmann", "Kreis Mettmann, Sozialamt",
        "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände", LIGA_SUMMARY,
        Letter.Direction.INCOMING,
    ),
    DemoLetter(
        ANLAGE_LANDRAT, Document.Kind.LETTER, "anschreiben-landrat-2012-03-04.pdf", datetime.date(2012, 3, 4),
        "kreis-mettmann", "Der Landrat des Kreises Mettmann", "mais-nrw", MAIS_NAME,
        "Anschreiben des Landrates zur Zielvereinbarung 2012", LANDRAT_SUMMARY, Letter.Direction.OUTGOING,
        signed_by="hendele",
    ),
    DemoLetter(
        ANLAGE_MAIS, Document.Kind.LETTER, "schreiben-mais-2012-03-29.pdf", datetime.date(2012, 3, 29),
        "mais-nrw", MAIS_NAME, "kreis-mettmann", "Kreis Mettmann, Der Landrat",
        "Übernahme der Vorschläge des Kreises Mettmann", MAIS_SUMMARY, Letter.Direction.INCOMING,
    ),
)


PDF_STYLE = (
    "@page { size: A4; margin: 2cm 2cm 2.5cm; @bottom-center { content: 'Seite ' counter(page) ' von ' "
    "counter(pages); font-size: 8pt; } } body { font-family: sans-serif; font-size: 10.5pt; line-height: "
    "1.4; } h1 { font-size: 15pt; } h2 { font-size: 11.5pt; margin-top: 1.2em; } .meta { color: #444; } "
    ".note { margin-top: 2em; font-size: 8.5pt; color: #666; border-top: 1px solid #999; padding-top: .5em; }"
)
PDF_NOTE = (
    "Nachbildung für die Demo-Daten: Datum, Absender und Gegenstand entsprechen der Vorlage 50/015/2012 des "
    "Kreises Mettmann, der Wortlaut ist nicht der des Originals."
)


def _p(text):
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in text.split("\n\n"))


@contextlib.contextmanager
def _fixed_source_date():
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = PDF_SOURCE_DATE_EPOCH
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_pdf(title, body_html):
    """A small PDF/A-3a titled like the Anlage. body_html must be built from escaped text only."""
    page = (
        f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="author" content="Demo-Daten"><style>{PDF_STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body_html}<p class='note'>{escape(PDF_NOTE)}</p></body></html>"
    )
    return _html_to_pdf(page)


def _plain_text(title, body_html):
    body = re.sub(r"</(p|h2|li|ol)>|<br>", "\n", body_html)
    return "\n".join([title, html.unescape(strip_tags(body)).strip(), PDF_NOTE])


@functools.lru_cache(maxsize=8)
def _html_to_pdf(page):
    # The project's renderer: WeasyPrint with the static-only URL fetcher, tagged PDF/A-3a. The output is a
    # function of the HTML (fixed source date), so a process that loads the demo again (tests) reuses it.
    with _fixed_source_date():
        return html_to_pdf(page)


def _agreement_html():
    goals = "".join(
        f"<li><strong>{escape(goal['title'])}</strong> ({escape(str(Goal.Level(goal['level']).label))}, "
        f"Tendenz: {escape(str(Goal.Direction(goal['direction']).label))})<br>{escape(goal['text'])}</li>"
        for goal in GOALS_2012
    )
    sections = "".join(f"<h2>{escape(s['heading'])}</h2>{_p(s['text'])}" for s in SECTIONS_2012)
    return (
        f"<p><strong>{escape(TITLE_2012)}</strong></p>{_p(PREAMBLE_2012)}{sections}"
        f"<h2>Zielübersicht</h2><ol>{goals}</ol>"
        "<p>Düsseldorf und Mettmann, im April 2012</p>"
        "<p>Für das MAIS NRW: Dr. Wilhelm Schäffer, Staatssekretär<br>"
        "Für den Kreis Mettmann: Thomas Hendele, Landrat</p>"
    )


def _offers_html():
    topics = dict(TOPICS)
    rows = "".join(
        f"<h2>{number}. {escape(topics[number])}</h2>"
        f"<p><strong>{escape(title)}</strong><br>{escape(text)}</p>"
        for number, title, text in OFFERS_2012
    )
    return (
        "<p>Übersicht über die Unterstützungsangebote des MAIS NRW zu sieben Themenschwerpunkten, abgestimmt "
        "mit der Regionaldirektion Nordrhein-Westfalen der Bundesagentur für Arbeit.</p>" + rows
    )


def _letter_html(letter):
    return (
        f'<p class="meta">{escape(letter.letterhead)}<br>an: {escape(letter.addressee)}<br>'
        f"Datum: {letter.date:%d.%m.%Y}</p><h2>{escape(letter.subject)}</h2>{_p(letter.summary)}"
    )


def _pages():
    """{Anlage title: (document kind, file name, page body)}."""
    pages = {
        ANLAGE_AGREEMENT: (Document.Kind.AGREEMENT, "zielvereinbarung-mais-kreis-mettmann-2012.pdf", _agreement_html()),
        ANLAGE_OFFERS: (Document.Kind.ANNEX, "anlage-zur-zielvereinbarung-2012.pdf", _offers_html()),
    }
    pages.update({letter.anlage: (letter.kind, letter.filename, _letter_html(letter)) for letter in LETTERS_2012})
    return pages


def load(loader, agreement):
    """The five Anlagen as Documents of the agreement; returns {Anlage title: document}."""
    pages = _pages()
    documents = {}
    for title in VORLAGE_ANLAGEN:
        kind, filename, body_html = pages[title]
        documents[title] = loader.ensure_document(
            title, kind, filename, agreement, render=functools.partial(render_pdf, title, body_html),
            # What an upload would extract from the PDF, taken from the page's source instead.
            text=_plain_text(title, body_html),
        )
    return documents
