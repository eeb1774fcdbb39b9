"""Property-based layout test of the generated PDFs (issue 10, E.17).

Hypothesis draws a signed agreement (parties and their signatures, preamble, sections, goals with numbers, support
offers, statements as annexes) and a Vorlage (title, Beratungsfolge rows, impacts, sections, Anlagen), with random
counts and text lengths: ordinary German words mixed with long unbroken words, numbers and URLs, as people paste
them. Each is rendered with the app's own functions (render_agreement, render_vorlage) and must

- render without an error,
- be PDF/A-3a: pikepdf opens it, its XMP metadata says pdfaid:part 3, conformance A, and it is tagged,
- keep every page inside its page box: every page is A4 (the @page size of both templates), and every word
  pdftotext finds lies inside the page and, across, inside the text column between the left and right page
  margins (25 mm, 20 mm in both templates), the only place a word belongs.

Bounded and reproducible: derandomized (the same examples on every run and in CI), 10 drawn examples per kind
plus one explicit extreme example each, no deadline, no shrinking; about 15 s for the module on a loaded 2-core
machine. Each example is built inside a savepoint that is rolled back, so examples do not pile up.
PDF_LAYOUT_EXAMPLES=120 explores further with fresh random examples.

What it found (fixed in templates/pdf/agreement.html and static/css/pdf.css): long words ran past the right page
edge (titles, headings, text), a long word widened the goals, offers and Beratungsfolge tables beyond the page,
and a long Az. pushed the right-aligned header block out over the left page edge.
"""

import datetime
import io
import os
import shutil
from decimal import Decimal

import pikepdf
import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from agreements import models as m
from agreements.models.agreements import corridor_breach
from agreements.pdf.agreement import render_agreement
from agreements.pdf.vorlage import render_vorlage

from . import factories as f
from .builders_files import A4, LEFT_MARGIN, RIGHT_MARGIN, words_by_page

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None,
                       reason="pdftotext (poppler-utils) is not installed; CI installs it"),
]

EXAMPLES = int(os.environ.get("PDF_LAYOUT_EXAMPLES", "10"))
LAYOUT_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize="PDF_LAYOUT_EXAMPLES" not in os.environ,
    # No shrinking: a failure already names the words outside the page, and shrinking renders PDFs for minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

TOLERANCE = 1.0  # points: glyph side bearings

WORDS = (
    "Zielvereinbarung", "Grundsicherung", "für", "Arbeitsuchende", "§", "48b", "SGB", "II", "der", "die", "und",
    "Kosten", "Unterkunft", "Heizung", "Integrationsquote", "–", "„Leitziel“", "Jobcenter", "ME-aktiv", "1.234,5",
    "%", "Kreis", "Mettmann", "MAIS", "NRW", "Langzeitleistungsbezieherinnen", "(K1E1)", "z. B.", "Tendenz:",
)
LETTERS = "abcdefghijklmnopqrstuvwxyzäöüßABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ"

# A word without a break opportunity: a compound noun, a file reference, a pasted URL.
long_word = st.one_of(
    st.text(alphabet=LETTERS, min_size=25, max_size=90),
    st.text(alphabet=LETTERS + "0123456789", min_size=10, max_size=60).map(lambda s: f"https://www.mais.nrw/{s}"),
)
word = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.sampled_from(WORDS), long_word)


def text(max_words, separators=(" ", " ", " ", " ", "\n", "\n\n")):
    return st.lists(st.tuples(word, st.sampled_from(separators)), max_size=max_words).map(
        lambda parts: "".join(w + sep for w, sep in parts).strip()
    )


def line(max_words, max_length, default="Titel"):
    return text(max_words, separators=(" ",)).map(lambda s: s[:max_length].strip() or default)


amount = st.one_of(st.none(), st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False,
                                          allow_infinity=False))

def valid_goal(goal):
    """The model's constraints: a qualitative goal has no numbers, the corridor is ordered, and a target value
    outside it comes with a reason (printed with the goal), one inside it without."""
    numbers = ("reference_value", "corridor_low", "corridor_high", "target_value")
    if goal["kind"] == m.Goal.Kind.QUALITATIVE:
        goal.update(dict.fromkeys(numbers))
    elif None not in (goal["corridor_low"], goal["corridor_high"]):
        goal["corridor_low"], goal["corridor_high"] = sorted((goal["corridor_low"], goal["corridor_high"]))
    outside = corridor_breach(goal["target_value"], goal["corridor_low"], goal["corridor_high"]) is not None
    goal["corridor_exception_reason"] = (goal["corridor_exception_reason"] or "Begründung") if outside else ""
    return goal


goal = st.fixed_dictionaries({
    "title": line(25, 300), "text": text(40),
    "kind": st.sampled_from(m.Goal.Kind.values), "level": st.sampled_from(m.Goal.Level.values),
    "area": st.sampled_from(m.Goal.Area.values), "direction": st.sampled_from(["", *m.Goal.Direction.values]),
    "reference_value": amount, "corridor_low": amount, "corridor_high": amount, "target_value": amount,
    "unit": line(3, 40, default=""), "corridor_exception_reason": text(30),
}).map(valid_goal)
offer = st.fixed_dictionaries({
    "topic": line(8, 200), "title": line(20, 300), "text": text(30),
    "status": st.sampled_from(m.SupportOffer.Status.values),
})
section = st.fixed_dictionaries({"heading": line(15, 300), "text": text(80)})
signing_party = st.fixed_dictionaries({
    "name": line(12, 200), "signatory_name": line(6, 200), "signatory_function": line(6, 120),
    "place": line(4, 100),
})
agreement_spec = st.fixed_dictionaries({
    "title": line(20, 300), "preamble": text(60), "parties": st.lists(signing_party, min_size=1, max_size=4),
    "sections": st.lists(section, max_size=3), "goals": st.lists(goal, max_size=6),
    "offers": st.lists(offer, max_size=4),
    "statements": st.lists(st.fixed_dictionaries({"title": line(15, 300), "text": text(60)}), max_size=2),
})

consultation = st.fixed_dictionaries({
    "committee": line(10, 200), "role": st.sampled_from(m.Consultation.Role.values),
    "date": st.one_of(st.none(), st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31))),
})
# A "ja" is explained (a model constraint).
impact = st.tuples(st.sampled_from(m.Impact.values), text(40)).map(
    lambda pair: (pair[0], pair[1] or "Erläuterung") if pair[0] == m.Impact.YES else pair
)
vorlage_spec = st.fixed_dictionaries({
    "name": text(60, separators=(" ", " ", "\n")).map(lambda s: s[:500].strip() or "Betreff"),
    "file_reference": line(4, 100, default=""),
    "public": st.booleans(), "non_public_reason": line(20, 300, "§ 33 KrO NRW"),
    "decision_type": st.sampled_from(m.Vorlage.DecisionType.values),
    "impacts": st.tuples(impact, impact, impact),
    "resolution": text(60), "occasion": text(120), "conclusion": text(120),
    "consultations": st.lists(consultation, max_size=10), "sections": st.lists(section, max_size=6),
    "anlagen": st.lists(line(25, 300), max_size=10),
})

LONG = "Grundsicherungsträgerzusammenarbeitsvereinbarungsfortschreibungsentwurfsfassungen"
URL = "https://www.mais.nrw/zielsteuerung/" + "x" * 60
# The extreme case, first on every run: the most rows, and unbroken words wherever a user types text.
BIGGEST_AGREEMENT = {
    "title": LONG, "preamble": f"{LONG} {URL}\n\n" * 3,
    "parties": [{"name": LONG, "signatory_name": LONG, "signatory_function": LONG, "place": LONG}] * 4,
    "sections": [{"heading": LONG, "text": f"{URL} {LONG}"}] * 3,
    "goals": [{"title": LONG, "text": URL, "kind": "quantitativ", "level": level, "area": "k2",
               "direction": "steigerung", "reference_value": Decimal("-123456789.123"),
               "corridor_low": Decimal("-999999999.999"), "corridor_high": Decimal("999999999.999"),
               "target_value": Decimal("1000000000"), "unit": "Bedarfsgemeinschaften" + "n" * 19,
               "corridor_exception_reason": f"{LONG} {URL}\n{LONG}"}
              for level in m.Goal.Level.values for _ in range(3)],
    "offers": [{"topic": LONG, "title": LONG, "text": URL, "status": m.SupportOffer.Status.values[0]}] * 4,
    "statements": [{"title": LONG, "text": f"{LONG}\n\n{URL}"}] * 2,
}
BIGGEST_VORLAGE = {
    "name": f"{LONG}\n{URL}", "file_reference": "50-" + "1" * 97, "public": False, "non_public_reason": LONG,
    "decision_type": "beschluss", "impacts": (("ja", f"{LONG} {URL}"), ("ja", LONG), ("offen", "")),
    "resolution": LONG, "occasion": URL, "conclusion": LONG,
    "consultations": [{"committee": LONG, "role": "entscheidung", "date": datetime.date(2012, 5, 21)}] * 10,
    "sections": [{"heading": LONG, "text": f"{LONG} {URL}"}] * 6,
    "anlagen": [f"{LONG} {URL}"] * 10,
}


# --- building the records -------------------------------------------------------------------------------------

def build_agreement(spec):
    """A signed agreement as the last signature leaves it (built as agreed, then marked signed)."""
    agreement = m.Agreement.objects.create(title=spec["title"], year=2013, preamble=spec["preamble"],
                                           status=m.Agreement.Status.AGREED)
    roles = m.AgreementParty.Role.values
    parties = []
    for order, party_spec in enumerate(spec["parties"]):
        party = f.PartyFactory(name=party_spec["name"])
        parties.append(party)
        m.AgreementParty.objects.create(agreement=agreement, party=party, role=roles[order % len(roles)],
                                        order=order)
        m.Signature.objects.create(
            agreement=agreement, party=party, signatory_name=party_spec["signatory_name"],
            signatory_function=party_spec["signatory_function"], place=party_spec["place"],
            date=datetime.date(2013, 4, 2),
        )
    for order, section_spec in enumerate(spec["sections"], 1):
        m.AgreementSection.objects.create(agreement=agreement, order=order, **section_spec)
    for order, goal_spec in enumerate(spec["goals"], 1):
        m.Goal.objects.create(agreement=agreement, order=order, **goal_spec)
    for order, offer_spec in enumerate(spec["offers"], 1):
        topic = m.Topic.objects.create(number=order, name=offer_spec["topic"])
        m.SupportOffer.objects.create(agreement=agreement, order=order, topic=topic, title=offer_spec["title"],
                                      text=offer_spec["text"], status=offer_spec["status"], provider=parties[0],
                                      coordinated_with=parties[-1])
    for statement_spec in spec["statements"]:
        m.Statement.objects.create(agreement=agreement, party=parties[-1], date=datetime.date(2013, 1, 23),
                                   include_as_annex=True, **statement_spec)
    m.Agreement.objects.filter(pk=agreement.pk).update(status=m.Agreement.Status.SIGNED)
    return agreement


def build_vorlage(spec):
    (financial, financial_text), (personnel, personnel_text), (organisational, organisational_text) = spec["impacts"]
    vorlage = f.VorlageFactory(
        name=spec["name"], file_reference=spec["file_reference"], public=spec["public"],
        non_public_reason=spec["non_public_reason"], decision_type=spec["decision_type"],
        financial_impact=financial, financial_impact_text=financial_text,
        personnel_impact=personnel, personnel_impact_text=personnel_text,
        organisational_impact=organisational, organisational_impact_text=organisational_text,
        resolution=spec["resolution"], occasion=spec["occasion"], conclusion=spec["conclusion"],
    )
    county = vorlage.department.party
    for order, row in enumerate(spec["consultations"], 1):
        committee, _created = m.Committee.objects.get_or_create(party=county, name=row["committee"])
        m.Consultation.objects.create(paper=vorlage, committee=committee, meeting_date=row["date"],
                                      role=row["role"], order=order)
    for order, section_spec in enumerate(spec["sections"], 1):
        m.VorlageSection.objects.create(vorlage=vorlage, order=order, **section_spec)
    for order, title in enumerate(spec["anlagen"], 1):
        m.VorlageAnlage.objects.create(vorlage=vorlage, order=order, title=title)
    return vorlage


# --- reading the PDF ------------------------------------------------------------------------------------------

def assert_pdfa_3a_inside_its_pages(content):
    with pikepdf.open(io.BytesIO(content)) as pdf:
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "A")
        assert pdf.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf.Root
        page_count = len(pdf.pages)
        for number, page in enumerate(pdf.pages, 1):
            box = [float(v) for v in page.MediaBox]
            assert box[:2] == [0, 0] and box[2:] == pytest.approx(A4, abs=0.5), f"page {number}: {box}"
    pages = words_by_page(content)
    assert len(pages) == page_count
    outside = []
    for number, (width, height, words) in enumerate(pages, 1):
        assert (width, height) == pytest.approx(A4, abs=0.5)
        for x_min, y_min, x_max, y_max, text_ in words:
            inside_page = 0 <= x_min and x_max <= width and 0 <= y_min and y_max <= height
            inside_column = x_min >= LEFT_MARGIN - TOLERANCE and x_max <= width - RIGHT_MARGIN + TOLERANCE
            if not (inside_page and inside_column):
                outside.append(f"page {number}: {text_[:40]!r} at x {x_min:.0f}-{x_max:.0f}, "
                               f"y {y_min:.0f}-{y_max:.0f}")
    assert not outside, f"{len(outside)} words outside the text column, e.g. {outside[:5]}"


# --- the properties -------------------------------------------------------------------------------------------


def assert_lays_out_inside_its_pages(build_and_render):
    """Each example builds its records and renders them inside a transaction that is rolled back, so that the
    examples do not see each other's records."""
    with transaction.atomic():
        assert_pdfa_3a_inside_its_pages(build_and_render().content)
        transaction.set_rollback(True)


@LAYOUT_SETTINGS
@example(spec=BIGGEST_AGREEMENT)
@given(spec=agreement_spec)
def test_it_lays_out_any_signed_agreement_inside_its_pages(db, spec):
    assert_lays_out_inside_its_pages(lambda: render_agreement(build_agreement(spec)))


@LAYOUT_SETTINGS
@example(spec=BIGGEST_VORLAGE)
@given(spec=vorlage_spec)
def test_it_lays_out_any_vorlage_inside_its_pages(db, spec):
    assert_lays_out_inside_its_pages(lambda: render_vorlage(build_vorlage(spec), use_cache=False))
