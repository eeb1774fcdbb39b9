"""The Vorlage PDF (agreements/pdf/vorlage.py, templates/pdf/vorlage.html) and its draft cache.

Every PDF is rendered once per module (module-scoped fixtures inside a rolled-back transaction); the assertions
read it with pypdf (text) and pikepdf (structure, metadata).
"""

import hashlib
import io
import re
import threading
from unittest import mock

import pikepdf
import pytest
from django.db import transaction
from django.test import override_settings

from agreements import models as m
from agreements.infra.storage import atomic_write
from agreements.pdf import cache
from agreements.pdf.fetcher import SafeURLFetcher
from agreements.pdf.render import render_html
from agreements.pdf.vorlage import TEMPLATE_NAME, pdf_filename, render_vorlage, vorlage_context

from . import factories as f
from .builders_files import assert_contains, assert_in_order, page_texts, squash
from .builders_reference_vorlage import (
    ANLAGEN,
    CONCLUSION_START,
    NAME,
    OCCASION_START,
    RESOLUTION,
    SECTIONS,
    build_reference_vorlage,
    demo_available,
    load_demo_vorlage,
)

TITLE = "Vorlage 50/015/2012: " + " ".join(NAME.split())
AUTHOR = "Frau Ulrike Gansauer, Fachbereich 50 Sozialamt"

# The reference paper, element by element, in its order (page 1, then the repeated header on page 2).
REFERENCE_ORDER = (
    "Beschluss", "Wahl", "Kenntnisnahme",
    "Vorlagen Nr. 50/015/2012", "öffentlich",
    "Fachbereich: Sozialamt", "Bearbeiter/in: Frau Ulrike Gansauer", "Datum: 19.04.2012", "Az.: 50-1",
    "Beratungsfolge", "Termine", "Art der Entscheidung", "Sozialausschuss", "21.05.2012", "Kenntnisnahme",
    NAME,
    "Finanzielle Auswirkung", "ja", "nein", "noch nicht zu übersehen",
    "Personelle Auswirkung", "ja", "nein", "noch nicht zu übersehen",
    "Organisatorische Auswirkung", "ja", "nein", "noch nicht zu übersehen",
    RESOLUTION,
    "Fachbereich: Sozialamt", "Bearbeiter/in: Frau Ulrike Gansauer", "Datum: 19.04.2012", "Az.: 50-1", NAME,
    "Anlass der Vorlage:", OCCASION_START,
    "Sachverhaltsdarstellung:", *SECTIONS,
    "Fazit:", CONCLUSION_START,
    "Anlagen:", *ANLAGEN,
)


def outline_titles(pdf):
    titles = []

    def walk(items):
        for item in items:
            titles.append(item.title)
            walk(item.children)

    with pdf.open_outline() as outline:
        walk(outline.root)
    return titles


# --- module fixtures: each PDF is rendered once --------------------------------------------------------------

@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


def _render_in_rollback(django_db_blocker, make_vorlage, **render_options):
    with django_db_blocker.unblock(), transaction.atomic():
        vorlage = make_vorlage()
        rendered = render_vorlage(vorlage, **render_options)
        transaction.set_rollback(True)
    return rendered


@pytest.fixture(scope="module", params=["factory", "demo"])
def reference_pdf(request, django_db_setup, django_db_blocker, module_media):
    """The Vorlage 50/015/2012 PDF, built from factories and from the demo data (when load_demo exists)."""
    if request.param == "demo":
        if not demo_available():
            pytest.skip("load_demo is not available yet (agreements/management/commands/load_demo.py)")
        return _render_in_rollback(django_db_blocker, lambda: load_demo_vorlage(module_media), use_cache=False)
    with override_settings(MEDIA_ROOT=module_media):
        return _render_in_rollback(django_db_blocker, build_reference_vorlage, use_cache=False)


@pytest.fixture(scope="module")
def factory_pdf(django_db_setup, django_db_blocker, module_media):
    with override_settings(MEDIA_ROOT=module_media):
        return _render_in_rollback(django_db_blocker, build_reference_vorlage, use_cache=False)


HOSTILE = (
    '<img src="file:///etc/passwd">',
    '<link rel=attachment href="file:///etc/passwd">',
    "<style>@import url(http://127.0.0.1:9/x.css)</style>",
    "url(file:///etc/passwd)",
)


@pytest.fixture(scope="module")
def hostile_render(django_db_setup, django_db_blocker, module_media):
    """A Vorlage whose texts try to make the renderer read files and the network; fetches are recorded."""
    original_fetch = SafeURLFetcher.fetch
    fetched = []

    def recording_fetch(self, url, *args, **kwargs):
        fetched.append(url)
        return original_fetch(self, url, *args, **kwargs)

    def make():
        hostile = "\n\n".join(HOSTILE)
        return build_reference_vorlage(
            name=f"Titel {HOSTILE[0]}", occasion=hostile, resolution=HOSTILE[2], conclusion=HOSTILE[3],
            sections=[(HOSTILE[1], hostile)], file_reference="<b>50-1</b>",
        )

    with mock.patch.object(SafeURLFetcher, "fetch", recording_fetch), override_settings(MEDIA_ROOT=module_media):
        rendered = _render_in_rollback(django_db_blocker, make, use_cache=False)
    return rendered, fetched


# --- the reference paper --------------------------------------------------------------------------------------

def test_it_prints_every_element_of_the_reference_in_its_order(reference_pdf):
    assert_in_order("\n".join(page_texts(reference_pdf.content)), REFERENCE_ORDER)


def test_it_starts_the_explanation_on_a_new_page_with_the_header_repeated(reference_pdf):
    texts = page_texts(reference_pdf.content)
    assert len(texts) >= 2
    assert "Anlass" not in squash(texts[0])
    assert_in_order(texts[1], ["Fachbereich: Sozialamt", "Bearbeiter/in: Frau Ulrike Gansauer",
                               "Datum: 19.04.2012", "Az.: 50-1", NAME, "Anlass der Vorlage:"])


def test_it_marks_the_chosen_boxes(factory_pdf):
    first_page = page_texts(factory_pdf.content)[0]
    assert_in_order(first_page, ["☒ Beschluss", "☐ Wahl", "☐ Kenntnisnahme"])
    assert_in_order(first_page, [
        "Finanzielle Auswirkung", "☒ ja", "☐ nein", "☐ noch nicht zu übersehen",
        "Sachkosten von 1.200 € im Haushaltsjahr 2012.",
        "Personelle Auswirkung", "☐ ja", "☒ nein", "☐ noch nicht zu übersehen",
        "Organisatorische Auswirkung", "☐ ja", "☐ nein", "☒ noch nicht zu übersehen",
    ])


def test_it_uses_a_font_with_the_box_glyphs(factory_pdf):
    # Every font is embedded (PDF/A) and the boxes come from DejaVu Sans, not a fallback.
    pdf = pikepdf.open(io.BytesIO(factory_pdf.content))
    fonts = {
        str(font.get("/BaseFont"))
        for page in pdf.pages for font in page.Resources.get("/Font", {}).values()
    }
    assert fonts and all("DejaVu" in name for name in fonts), fonts


def test_it_writes_the_metadata_of_an_archivable_tagged_pdf(reference_pdf):
    pdf = pikepdf.open(io.BytesIO(reference_pdf.content))
    assert str(pdf.docinfo["/Title"]) == TITLE
    assert str(pdf.docinfo["/Author"]) == AUTHOR
    assert str(pdf.Root.Lang) == "de"
    assert pdf.Root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in pdf.Root
    meta = pdf.open_metadata()
    assert meta["pdfaid:part"] == "3"
    assert meta["pdfaid:conformance"] == "A"
    assert meta["dc:title"] == TITLE


def test_it_turns_headings_into_bookmarks(reference_pdf):
    titles = [" ".join(title.split()) for title in outline_titles(pikepdf.open(io.BytesIO(reference_pdf.content)))]
    assert titles[0] == " ".join(NAME.split())
    for wanted in ["Beschlussvorschlag", "Anlass der Vorlage:", "Sachverhaltsdarstellung:", *SECTIONS, "Fazit:",
                   "Anlagen:"]:
        assert wanted in titles
    # The title repeated on page 2 is not a second bookmark.
    assert titles.count(" ".join(NAME.split())) == 1


def test_it_numbers_the_pages_and_repeats_the_number_in_the_header(reference_pdf):
    texts = page_texts(reference_pdf.content)
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        assert_contains(text, f"Seite {number} von {total}")
    for text in texts[1:]:
        assert_contains(text, "Vorlage 50/015/2012")


def test_it_splits_user_text_into_paragraphs_and_lines(factory_pdf):
    html = factory_pdf.html
    assert f"<p>{OCCASION_START} eine erste Zielvereinbarung abgeschlossen.</p>" in html
    assert "Arbeitsuchende<br>\n- Abschluss" in html
    assert 'lang="de"' in html
    assert "hyphens: auto" in html


def test_it_prints_a_non_public_paper_with_its_reason(db):
    vorlage = build_reference_vorlage(public=False, non_public_reason="Personalangelegenheit (§ 33 KrO NRW)",
                                      sections=[("I. Kurz", "Text")])
    html = render_html(TEMPLATE_NAME, vorlage_context(vorlage))
    assert_in_order(re.sub(r"<[^>]+>", " ", html), [
        "Vorlagen Nr. 50/015/2012", "nichtöffentlich", "Grund: Personalangelegenheit (§ 33 KrO NRW)",
    ])


# --- hostile text -------------------------------------------------------------------------------------------------

def test_it_prints_markup_in_user_text_as_literal_text(hostile_render):
    rendered, _fetched = hostile_render
    text = "\n".join(page_texts(rendered.content))
    for snippet in HOSTILE:
        assert_contains(text, snippet)
    assert_contains(text, "Az.: <b>50-1</b>")
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in rendered.html


def test_it_reads_no_file_and_no_network_for_hostile_text(hostile_render):
    rendered, fetched = hostile_render
    assert not [url for url in fetched if "passwd" in url or "127.0.0.1" in url], fetched
    assert b"root:x:0:0" not in rendered.content
    pdf = pikepdf.open(io.BytesIO(rendered.content))
    names = pdf.Root.get("/Names")
    assert names is None or "/EmbeddedFiles" not in names
    assert "/AF" not in pdf.Root
    assert not pdf.attachments
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            assert annotation.get("/Subtype") != pikepdf.Name.FileAttachment
    # Nothing of the passwd file, even compressed: decode every stream and look.
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            try:
                data = obj.read_bytes()
            except pikepdf.PdfError:
                continue
            assert b"root:x:0:0" not in data


# --- context -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 6])
def test_it_builds_the_context_with_a_fixed_number_of_queries(db, django_assert_num_queries, size):
    vorlage = build_reference_vorlage(anlage_files=[b"%PDF-1.7\n%%EOF\n"] * min(size, len(ANLAGEN)),
                                      sections=[(f"Abschnitt {i}", "Text") for i in range(size)])
    committee = f.CommitteeFactory(party=vorlage.department.party)
    for order in range(size - 1):
        m.Consultation.objects.create(paper=vorlage, committee=committee, role="vorberatung", order=order + 2)
    with django_assert_num_queries(4):
        context = vorlage_context(vorlage)
        [anlage.document for anlage in context["anlagen"]]  # noqa: B018
    assert len(context["sections"]) == size
    assert len(context["consultations"]) == size


def test_it_names_export_files_after_the_reference(db):
    vorlage = build_reference_vorlage(sections=[("I.", "x")])
    assert pdf_filename(vorlage) == "Vorlage-50-015-2012.pdf"
    assert pdf_filename(vorlage, "-mit-Anlagen") == "Vorlage-50-015-2012-mit-Anlagen.pdf"


# --- cache ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def weasyprint_calls(monkeypatch):
    import weasyprint

    calls = []
    original = weasyprint.HTML.write_pdf

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("pdf_variant"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counting)
    return calls


def cache_entries(settings):
    directory = cache.cache_dir()
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_it_renders_an_unchanged_draft_only_once(db, settings, weasyprint_calls):
    vorlage = build_reference_vorlage(sections=[("I. Kurz", "Text")])
    first = render_vorlage(vorlage)
    second = render_vorlage(vorlage)
    assert len(weasyprint_calls) == 1
    assert second.content == first.content
    entries = cache_entries(settings)
    assert len(entries) == 1 and re.fullmatch(r"[0-9a-f]{64}-[0-9a-f]{64}\.pdf", entries[0])
    assert (cache.cache_dir() / entries[0]).read_bytes() == first.content


def test_it_renders_again_after_any_change(db, settings, weasyprint_calls):
    vorlage = build_reference_vorlage(sections=[("I. Kurz", "Text")])
    render_vorlage(vorlage)
    vorlage.file_reference = "50-2"
    vorlage.save()
    changed = render_vorlage(vorlage)
    m.VorlageSection.objects.filter(vorlage=vorlage).update(text="Anderer Text")
    render_vorlage(vorlage)
    assert len(weasyprint_calls) == 3
    assert len(cache_entries(settings)) == 3
    assert_contains(page_texts(changed.content)[0], "Az.: 50-2")


def test_it_does_not_cache_released_vorlagen(db, settings, monkeypatch):
    monkeypatch.setattr("agreements.pdf.vorlage.html_to_pdf", lambda html: b"%PDF-1.7\n%%EOF\n")
    vorlage = build_reference_vorlage(status=m.Vorlage.Status.RELEASED, sections=[("I.", "x")])
    render_vorlage(vorlage)
    assert cache_entries(settings) == []


def test_it_keys_the_cache_by_every_part():
    assert cache.cache_key(["ab", "c"]) != cache.cache_key(["a", "bc"])
    assert cache.cache_key(["x", b"y"]) == cache.cache_key(["x", "y"])
    assert cache.cache_key(["x"]) == hashlib.sha256(len(b"x").to_bytes(8, "big") + b"x").hexdigest()


def test_it_leaves_no_entry_when_the_build_fails(db, settings):
    def failing():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.cached_pdf(["k"], failing)
    assert cache_entries(settings) == []


def test_it_trusts_no_file_the_database_does_not_know(db, settings):
    key = cache.cache_key(["k"])
    planted = cache.cache_path(key, hashlib.sha256(b"%PDF-1.7\nplanted\n%%EOF\n").hexdigest())
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"%PDF-1.7\nplanted\n%%EOF\n")
    assert cache.cached_pdf(["k"], lambda: b"%PDF-1.7\nwhole\n%%EOF\n") == b"%PDF-1.7\nwhole\n%%EOF\n"
    assert m.CachedPdf.objects.get(key=key).sha256 == hashlib.sha256(b"%PDF-1.7\nwhole\n%%EOF\n").hexdigest()


def test_it_refuses_a_replaced_entry_once_and_builds_it_anew(db, settings):
    whole = b"%PDF-1.7\nwhole\n%%EOF\n"
    cache.cached_pdf(["k"], lambda: whole)
    [path] = cache.cache_dir().iterdir()
    path.write_bytes(b"%PDF-1.7\n<script>alert(1)</script>\n%%EOF\n")  # looks complete, is not ours
    with pytest.raises(cache.TamperedFile):
        cache.cached_pdf(["k"], lambda: whole)
    assert not path.exists() and not m.CachedPdf.objects.exists()
    assert cache.cached_pdf(["k"], lambda: whole) == whole
    assert cache.cached_pdf(["k"], lambda: pytest.fail("served from the cache, not built")) == whole


def test_it_builds_again_when_a_recorded_file_is_gone(db, settings):
    cache.cached_pdf(["k"], lambda: b"%PDF-1.7\nwhole\n%%EOF\n")
    [path] = cache.cache_dir().iterdir()
    path.unlink()
    assert cache.cached_pdf(["k"], lambda: b"%PDF-1.7\nagain\n%%EOF\n") == b"%PDF-1.7\nagain\n%%EOF\n"


def test_it_never_shows_a_reader_half_a_file(settings):
    path = cache.cache_path("concurrent", "0" * 64)
    bodies = [b"%PDF-1.7\n" + bytes([65 + n]) * 2_000_000 + b"\n%%EOF\n" for n in range(3)]
    stop, seen = threading.Event(), []

    def read():
        while not stop.is_set():
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            seen.append(data in bodies)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(15):
            with atomic_write(path) as out:
                out.write(bodies[round_ % 3])
    finally:
        stop.set()
        reader.join()
    assert seen and all(seen)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_it_prunes_old_entries(db, settings):
    cache.cached_pdf(["old"], lambda: b"%PDF-1.7\n%%EOF\n")
    assert cache.prune(max_age_seconds=3600) == 0
    assert cache.prune(max_age_seconds=-1) == 1
    assert cache_entries(settings) == []


# --- benchmark helper --------------------------------------------------------------------------------------------

def test_it_measures_cold_and_warm_rendering(db, settings):
    from agreements.tooling.benchmark.pdf import measure_vorlage

    vorlage = build_reference_vorlage(sections=[("I. Kurz", "Text")])
    figures = measure_vorlage(vorlage, repeats=1)
    assert figures["pages"] == 2
    assert 0 < figures["warm_seconds"] < figures["cold_seconds"]
    assert figures["overhead_ratio"] > 0
    assert figures["seconds_per_page"] == pytest.approx(figures["cold_seconds"] / 2)
    assert cache_entries(settings) == []  # the measurement leaves the cache as it found it
