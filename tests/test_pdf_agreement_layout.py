"""The signed agreement's layout (issue 13, point 7), read back from the rendered PDF.

The report: the signature table stood alone on a page with misaligned columns, the narrow "Stand" column hyphenated
"ge-plant", "Überg-ang", "Regionaldirekti-on", and a page held two lines of a split table row. So:

- the signature block (heading, caption, one column per party with its Ort/Datum line, signature line, name,
  function and party) lies on one page, and that page also carries the end of the agreement's text: the block
  never stands alone, whatever point of the page the text ends at;
- the parties' columns are equally wide and each line of the block starts, per party, at the column's x and, across
  the parties, at the same y;
- labels, names, states and values in table cells are never hyphenated; running text still is;
- no table row is split across two pages.

Positions come from pdftotext -bbox (tests/test_pdf_layout.py's words_by_page): points, y grows downwards.
"""

import datetime
import re
import shutil
from collections import namedtuple

import pytest

from agreements import models as m
from agreements.data.catalogue import TOPICS
from agreements.pdf.agreement import render_agreement

from .builders_files import A4, LEFT_MARGIN, RIGHT_MARGIN, words_by_page

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None,
                       reason="pdftotext (poppler-utils) is not installed; CI installs it"),
]

Word = namedtuple("Word", "x0 y0 x1 y1 text")
AUTO_HYPHEN = "\u2010"  # what WeasyPrint draws where it hyphenates a word (hyphenate-character: auto)
TOLERANCE = 1.0  # points
# Where a line may legitimately end inside a word: after an explicit hyphen, dash or slash, or at a space.
TOKEN_SEPARATORS = re.compile(r"[\s()/–,:.-]+")

# key, name, kind, role, place, signatory, function: the ministry's name is long (it wraps), the others are short.
SIGNERS = (
    ("mais-nrw", "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen",
     m.Party.Kind.MINISTRY, m.AgreementParty.Role.LAND, "Düsseldorf", "Dr. Wilhelm Schäffer", "Staatssekretär"),
    ("kreis-mettmann", "Kreis Mettmann", m.Party.Kind.KREIS, m.AgreementParty.Role.KOMMUNALER_TRAEGER, "Mettmann",
     "Thomas Hendele", "Landrat"),
    ("jobcenter-me-aktiv", "Jobcenter ME-aktiv", m.Party.Kind.JOBCENTER, m.AgreementParty.Role.JOBCENTER, "Ratingen",
     "Brigitte Weiland", "Geschäftsführerin"),
)
REGIONALDIREKTION = "Regionaldirektion Nordrhein-Westfalen der Bundesagentur für Arbeit"
FILLER = ("Die Integrationsquote der Bedarfsgemeinschaften soll durch passgenaue Beratung der Leistungsberechtigten "
          "und eine enge Zusammenarbeit mit den Trägern der Grundsicherung verbessert werden").split()


def filler(words):
    return " ".join(FILLER[i % len(FILLER)] for i in range(words))


def signed_agreement(parties=2, preamble_paragraphs=1, goals=(), offers=()):
    """An agreed agreement with every signature recorded, as the last signature renders it.

    goals: dicts of Goal fields (title, text, ...); offers: dicts with a topic (number, name), title, text and
    status, provided by and coordinated with the Regionaldirektion."""
    agreement = m.Agreement.objects.create(title="Zielvereinbarung 2013", year=2013, status=m.Agreement.Status.AGREED,
                                           preamble="\n\n".join(["Satz"] * preamble_paragraphs))
    for order, (key, name, kind, role, place, signatory, function) in enumerate(SIGNERS[:parties]):
        party = m.Party.objects.create(key=key, name=name, kind=kind)
        m.AgreementParty.objects.create(agreement=agreement, party=party, role=role, order=order)
        m.Signature.objects.create(agreement=agreement, party=party, signatory_name=signatory,
                                   signatory_function=function, date=datetime.date(2013, 4, 2), place=place)
    for order, goal in enumerate(goals, 1):
        m.Goal.objects.create(agreement=agreement, order=order, **{
            "kind": m.Goal.Kind.QUALITATIVE, "level": m.Goal.Level.LOCAL, "area": m.Goal.Area.KDU, **goal})
    if offers:
        rd = m.Party.objects.create(key="rd-nrw", name=REGIONALDIREKTION, kind=m.Party.Kind.REGIONALDIREKTION)
    for order, offer in enumerate(offers, 1):
        number, name = offer.pop("topic")
        topic, _created = m.Topic.objects.get_or_create(number=number, defaults={"name": name})
        m.SupportOffer.objects.create(agreement=agreement, order=order, topic=topic, provider=rd,
                                      coordinated_with=rd, **offer)
    return agreement


def pdf_words(agreement):
    """[[Word, ...] per page] of the agreement's PDF as the signature renders it."""
    return [[Word(*box) for box in words] for _width, _height, words in
            words_by_page(render_agreement(agreement).content)]


def pages_of(pages, text):
    return {number for number, words in enumerate(pages) for word in words if word.text == text}


def find(words, text, below=0.0):
    """The words reading `text` under y `below`, left to right."""
    return sorted((w for w in words if w.text == text and w.y0 > below), key=lambda w: (w.x0, w.y0))


def signature_page(pages):
    (page,) = pages_of(pages, "Unterschriften")
    heading = find(pages[page], "Unterschriften")[0]
    return page, heading


# --- (a) the block on one page, never alone -------------------------------------------------------------------

def assert_signature_block_on_one_page_with_the_end_of_the_text(pages, parties, last_goal):
    page, heading = signature_page(pages)
    signers = SIGNERS[:parties]
    parts = {"the caption": "Vereinbarungspartner"}
    for _key, name, _kind, _role, place, signatory, function in signers:
        parts.update({f"{place}'s Ort/Datum": f"{place},", f"{signatory}'s name": signatory.split()[-1],
                      f"{signatory}'s function": function,
                      # its last word that a line cannot end inside ("Nordrhein-" may end one)
                      f"{name}'s name": [word for word in name.split() if "-" not in word][-1]})
    elsewhere = {part: sorted(pages_of(pages, text)) for part, text in parts.items()
                 if not find(pages[page], text, below=heading.y0)}
    assert not elsewhere, f"the heading is on page {page + 1}, but these are not below it there: {elsewhere}"
    # The block does not stand alone: the last goal (its whole row, see the row test) came along.
    assert pages_of(pages, last_goal) == {page}, (
        f"the signature block stands alone on page {page + 1}: the last goal {last_goal!r} is on page(s) "
        f"{sorted(n + 1 for n in pages_of(pages, last_goal))}")
    labels = find(pages[page], "Datum", below=heading.y0)
    assert len(labels) == parties, f"{len(labels)} 'Ort, Datum' lines below the heading on its page, not {parties}"


@pytest.mark.parametrize("parties", [2, 3])
def test_it_keeps_the_signature_block_on_one_page_with_the_end_of_the_text(parties):
    """The preamble is lengthened until the block no longer fits under the goals on page 1 (found by bisection,
    so the case stays at the break whatever the fonts): there, and a few lines further, the heading, the caption,
    every party's Ort/Datum line, name, function and party lie on one page, together with the last goal."""
    goals = [{"title": f"Ziel{n}", "text": filler(5)} for n in range(1, 3)]
    agreement = signed_agreement(parties, goals=goals)

    def render(paragraphs):
        m.Agreement.objects.filter(pk=agreement.pk).update(preamble="\n\n".join(["Satz"] * paragraphs))
        return pdf_words(agreement)

    fits, breaks = 0, 60
    assert signature_page(render(fits))[0] == 0 and signature_page(render(breaks))[0] > 0
    while breaks - fits > 1:
        middle = (fits + breaks) // 2
        if signature_page(render(middle))[0] == 0:
            fits = middle
        else:
            breaks = middle
    for paragraphs in (breaks, breaks + 2, breaks + 5):
        assert_signature_block_on_one_page_with_the_end_of_the_text(render(paragraphs), parties, "Ziel2")


# --- (b) aligned columns --------------------------------------------------------------------------------------

@pytest.mark.parametrize("parties", [2, 3])
def test_it_aligns_the_signature_columns(parties):
    """One column per party, all equally wide: each party's lines (Ort/Datum, the "Ort, Datum" label, name,
    function, party) start at its column's x, and each kind of line sits at the same y in every column, although
    the ministry's name wraps over several lines and the others' do not."""
    pages = pdf_words(signed_agreement(parties))
    page, heading = signature_page(pages)
    words = pages[page]
    columns = []
    for _key, name, _kind, _role, place, signatory, function in SIGNERS[:parties]:
        lines = {"Ort/Datum": find(words, f"{place},", heading.y0), "name": find(words, signatory.split()[0],
                                                                                   heading.y0),
                 "function": find(words, function, heading.y0), "party": find(words, name.split()[0], heading.y0)}
        missing = [line for line, found in lines.items() if len(found) != 1]
        assert not missing, f"{name}: {missing} not found once below the heading"
        columns.append({line: found[0] for line, found in lines.items()})

    # The text column: the page margins and, on both sides, the body's margin (where the heading starts).
    width = A4[0] - LEFT_MARGIN - RIGHT_MARGIN - 2 * (heading.x0 - LEFT_MARGIN)

    def assert_aligned():
        starts = [column["Ort/Datum"].x0 for column in columns]
        for number, column in enumerate(columns):
            assert all(abs(word.x0 - starts[number]) <= TOLERANCE for word in column.values()), (
                f"party {number + 1}'s lines do not start at one x: "
                f"{ {line: round(word.x0, 1) for line, word in column.items()} }")
        assert len({round(x) for x in starts}) == parties, f"the parties share columns: x {starts}"
        widths = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert all(abs(step - width / parties) <= TOLERANCE for step in widths), (
            f"the columns are not {width / parties:.0f} pt wide each: x {starts}")
        for line in columns[0]:
            ys = [column[line].y0 for column in columns]
            assert max(ys) - min(ys) <= TOLERANCE, f"the parties' {line} lines are not level: y {ys}"

    assert_aligned()
    labels = find(words, "Ort,", heading.y0)
    assert len(labels) == parties, f"{len(labels)} 'Ort, Datum' labels, not one per party"
    for column, label in zip(columns, labels, strict=True):
        column["Ort, Datum label"] = label
    assert_aligned()


# --- (c) no hyphenation in narrow cells ----------------------------------------------------------------------

def running_text_columns(words):
    """The areas of this page where hyphenation is allowed, as (x from, x to, y to): the goals' "Ziel" and the
    offers' "Angebot" column, found by their header cells (the header row repeats on every page of its table),
    down to the signature heading if it is on this page."""
    end = min((w.y0 for w in find(words, "Unterschriften")), default=A4[1])
    ranges = []
    for header in ("Ziel", "Angebot"):
        for head in find(words, header)[:1]:
            # the next header cell to the right, whatever it reads (a narrow one may be broken)
            following = min((w.x0 for w in words if abs(w.y0 - head.y0) <= TOLERANCE and w.x0 > head.x1), default=None)
            if following is not None:
                ranges.append((head.x0 - TOLERANCE, following - TOLERANCE, end))
    return ranges


def tokens(text):
    return {token for token in TOKEN_SEPARATORS.split(text) if len(token) > 3}


def test_it_never_hyphenates_inside_narrow_cells():
    """Offer states, topics, the coordinating and providing party, goal kinds, tendencies, areas, indicators and
    the signature block print whole words; only running text (goal and offer descriptions) is hyphenated, and
    still is."""
    statuses = m.SupportOffer.Status.values
    offers = [{"topic": topic, "title": f"Angebot {number}", "text": "Beratung vor Ort",
               "status": statuses[number % len(statuses)]} for number, topic in enumerate(TOPICS)]
    running_text = ("Die Leistungsberechtigten werden in enger Zusammenarbeit mit den Trägern der Grundsicherung "
                    "passgenau beraten und vermittelt. ") * 3
    goals = [{"title": f"Ziel {direction}", "text": running_text, "direction": direction, "area": area}
             for direction, area in zip(m.Goal.Direction.values, m.Goal.Area.values, strict=False)]
    indicator = m.Indicator.objects.create(code="K2", name="Integrationsquote", unit="%")
    goals += [{"title": "Integration", "kind": m.Goal.Kind.QUANTITATIVE, "indicator": indicator,
               "reference_value": 24, "target_value": 25, "unit": "Bedarfsgemeinschaften",
               "area": m.Goal.Area.OTHER},
              {"title": "Monitoring", "kind": m.Goal.Kind.MONITORING}]
    pages = pdf_words(signed_agreement(2, goals=goals, offers=offers))

    hyphenated, in_running_text = [], 0
    printed, outside_running_text, in_signature_block = set(), set(), set()
    for number, words in enumerate(pages, 1):
        ranges = running_text_columns(words)
        block_top = min((w.y0 for w in find(words, "Unterschriften")), default=A4[1])
        for word in words:
            running = any(low <= word.x0 < high and word.y0 < end for low, high, end in ranges)
            printed |= tokens(word.text)
            outside_running_text |= set() if running else tokens(word.text)
            in_signature_block |= tokens(word.text) if word.y0 > block_top else set()
            if word.text.endswith(AUTO_HYPHEN):
                if running:
                    in_running_text += 1
                else:
                    hyphenated.append(f"page {number}: {word.text!r} at x {word.x0:.0f}")
    assert not hyphenated, f"hyphenated outside running text: {hyphenated}"
    assert in_running_text, "running text is no longer hyphenated"

    # Whole where they are printed: the narrow cells' words outside the running-text columns, the party names in
    # the signature block, the goals' areas (printed only under their description) and the offers' providers.
    cells = [str(label) for label in (*m.SupportOffer.Status.labels, *m.Goal.Direction.labels, *m.Goal.Kind.labels)]
    cells += [*(name for _number, name in TOPICS), REGIONALDIREKTION, "Integrationsquote Bedarfsgemeinschaften"]
    broken = {
        "in a narrow cell": set().union(*map(tokens, cells)) - outside_running_text,
        "in the signature block": set().union(*(tokens(signer[1]) for signer in SIGNERS[:2])) - in_signature_block,
        "as a goal's area": set().union(*(tokens(str(label)) for label in m.Goal.Area.labels)) - printed,
    }
    assert not any(broken.values()), f"not printed whole: {broken}"
    assert {"geplant", "Übergang", "Regionaldirektion"} <= outside_running_text
    providers = [words[i + 1].text for words in pages for i, word in enumerate(words) if word.text == "Anbieter:"]
    assert providers == ["Regionaldirektion"] * len(offers), f"Anbieter: {providers}"


# --- (d) no row split across pages ---------------------------------------------------------------------------

def test_it_never_splits_a_table_row_across_pages():
    """Goals and offers of different lengths over several pages: each row's first and last word (its title, the
    end of its text) are found once, on one page."""
    # The last words are too short to be hyphenated.
    goals = [{"title": f"Ziel{n}", "text": f"{filler(25 + 17 * (n % 5))} ¶Z{n}"} for n in range(1, 9)]
    offers = [{"topic": TOPICS[n % len(TOPICS)], "title": f"Angebot{n}", "text": f"{filler(30 + 23 * (n % 4))} ¶A{n}",
               "status": m.SupportOffer.Status.IMPLEMENTED} for n in range(1, 7)]
    pages = pdf_words(signed_agreement(2, goals=goals, offers=offers))

    rows = [(f"Ziel{n}", f"¶Z{n}") for n in range(1, 9)] + [(f"Angebot{n}", f"¶A{n}") for n in range(1, 7)]
    split = {first: (sorted(pages_of(pages, first)), sorted(pages_of(pages, last))) for first, last in rows
             if not len(pages_of(pages, first)) == 1 == len(pages_of(pages, first) | pages_of(pages, last))
             or not pages_of(pages, last)}
    assert not split, f"rows split across pages (pages of first word, of last word): {split}"
    assert len({page for first, _last in rows for page in pages_of(pages, first)}) >= 3, "not a multi-page table"
