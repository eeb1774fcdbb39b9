"""The Gesamtdokument (agreements/pdf/bundle.py): ToC, Vorlage and Anlagen merged, stamped and checked.

The source PDFs and the two main bundles are built once per module; the assertions read them with pypdf
(text) and pikepdf (outline, structure tree, metadata).
"""

import hashlib
import io
import time
from types import SimpleNamespace

import pikepdf
import pypdf
import pytest

from agreements import models as m
from agreements.pdf import bundle as bundle_module
from agreements.pdf.bundle import BundleError, build_bundle
from agreements.pdf.render import html_to_pdf
from agreements.pdf.vorlage import vorlage_queryset
from agreements.pdf.vorlage_bundle import build_vorlage_bundle

from .builders_files import assert_contains, assert_in_order, encrypted, page_texts, plain_pdf
from .builders_reference_vorlage import ANLAGEN, build_reference_vorlage

TITLE = "Vorlage 50/015/2012: Zielsteuerung 2012 (mit Anlagen)"
VORLAGE_LABEL = "Vorlage 50/015/2012"


def tagged_pdf(title, pages, heading="Abschnitt"):
    """A PDF/A-3a document like our own renderer makes, with one h2 (and bookmark) per page."""
    body = "".join(
        f'<h2 style="break-before: {"page" if n > 1 else "auto"}">{heading} {n}</h2><p>Text auf Seite {n}.</p>'
        for n in range(1, pages + 1)
    )
    return html_to_pdf(
        f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def outline_pages(pdf):
    """{title: (0-based page index, [child titles])} of the top-level bookmarks."""
    index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    result = {}
    with pdf.open_outline() as outline:
        for item in outline.root:
            result[item.title] = (index[item.destination[0].objgen], [child.title for child in item.children])
    return result


@pytest.fixture(scope="module")
def sources():
    return SimpleNamespace(
        vorlage=tagged_pdf("Vorlage 50/015/2012", 2, heading="Sachverhalt"),
        agreement=tagged_pdf(ANLAGEN[0], 3, heading="§"),
        letter=tagged_pdf(ANLAGEN[3], 1),
        scan=plain_pdf(3, rotate_second=90),
    )


@pytest.fixture(scope="module")
def mixed(sources):
    """Anlage 1 PDF/A, Anlage 2 a plain scan, Anlage 3 without file, Anlage 4 PDF/A."""
    anlagen = [(ANLAGEN[0], sources.agreement), (ANLAGEN[1], sources.scan), (ANLAGEN[2], None),
               (ANLAGEN[3], sources.letter)]
    result = build_bundle(sources.vorlage, anlagen, title=TITLE, author="Frau Ulrike Gansauer",
                          vorlage_label=VORLAGE_LABEL)
    return SimpleNamespace(result=result, pdf=pikepdf.open(io.BytesIO(result.content)),
                           texts=page_texts(result.content))


@pytest.fixture(scope="module")
def all_pdfa(sources):
    anlagen = [(ANLAGEN[0], sources.agreement), (ANLAGEN[3], sources.letter)]
    result = build_bundle(sources.vorlage, anlagen, title=TITLE, vorlage_label=VORLAGE_LABEL)
    return SimpleNamespace(result=result, pdf=pikepdf.open(io.BytesIO(result.content)))


def test_it_counts_the_pages_of_all_parts(mixed):
    result = mixed.result
    assert result.toc_page_count == 1
    # ToC 1 + Vorlage 2 + Anlagen 3 + 3 + 0 + 1
    assert result.page_count == len(mixed.pdf.pages) == 1 + 2 + 3 + 3 + 1
    assert result.vorlage_start_page == 2
    assert result.anlage_start_pages == [4, 7, None, 10]


def test_it_points_one_bookmark_per_part_at_its_first_page(mixed):
    bookmarks = outline_pages(mixed.pdf)
    assert list(bookmarks) == ["Inhalt", VORLAGE_LABEL, f"Anlage 1: {ANLAGEN[0]}", f"Anlage 2: {ANLAGEN[1]}",
                               f"Anlage 4: {ANLAGEN[3]}"]
    assert bookmarks["Inhalt"][0] == 0
    assert bookmarks[VORLAGE_LABEL][0] == 1
    for number, start in ((1, 4), (2, 7), (4, 10)):
        assert bookmarks[f"Anlage {number}: {ANLAGEN[number - 1]}"][0] == start - 1


def test_it_keeps_the_parts_own_bookmarks_below_theirs(mixed):
    bookmarks = outline_pages(mixed.pdf)
    assert bookmarks[VORLAGE_LABEL][1] == ["Vorlage 50/015/2012"]  # the Vorlage's h1, with its h2s below
    assert bookmarks[f"Anlage 1: {ANLAGEN[0]}"][1] == [ANLAGEN[0]]
    index = {page.obj.objgen: number for number, page in enumerate(mixed.pdf.pages)}
    with mixed.pdf.open_outline() as outline:
        agreement = outline.root[2].children[0]
        assert [index[child.destination[0].objgen] for child in agreement.children] == [3, 4, 5]


def test_it_lists_every_part_with_its_page_in_the_table_of_contents(mixed):
    toc = mixed.texts[0]
    assert_in_order(toc, [
        "Inhalt", TITLE,
        VORLAGE_LABEL, "Seite 2",
        f"Anlage 1: {ANLAGEN[0]}", "Seite 4",
        f"Anlage 2: {ANLAGEN[1]}", "Seite 7",
        f"Anlage 3: {ANLAGEN[2]}", "(ohne Datei)",
        f"Anlage 4: {ANLAGEN[3]}", "Seite 10",
    ])


def test_it_stamps_every_page_with_its_number(mixed):
    total = len(mixed.texts)
    for number, text in enumerate(mixed.texts, start=1):
        assert_contains(text, f"Seite {number} von {total}")
    assert_contains(mixed.texts[7], "Gescannte Seite 2")  # the rotated page keeps its text and gets its stamp


def test_it_puts_the_stamp_inside_every_page_however_it_is_rotated():
    pdf = pikepdf.new()
    for rotate in (0, 90, 180, 270):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Rotate = rotate
        a, b, c, d, x, y = bundle_module._stamp_matrix(page, text_width=60)
        assert 0 < x < 595 and 0 < y < 842
        # The text runs along the bottom edge of the page as displayed: left to right for the reader.
        assert (a, b, c, d) == {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}[rotate]


def test_it_marks_the_stamps_as_artifacts(mixed):
    contents = b"".join(stream.read_bytes() for stream in mixed.pdf.pages[4].obj.Contents)
    assert b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC" in contents


def test_it_writes_title_language_and_no_pdfa_claim_for_a_mixed_bundle(mixed):
    pdf = mixed.pdf
    assert str(pdf.docinfo["/Title"]) == TITLE
    assert str(pdf.docinfo["/Author"]) == "Frau Ulrike Gansauer"
    assert str(pdf.Root.Lang) == "de"
    assert mixed.result.is_pdfa is False
    meta = pdf.open_metadata()
    assert meta["dc:title"] == TITLE
    assert "pdfaid:part" not in meta
    assert b"pdfaid" not in pdf.Root.Metadata.read_bytes()
    assert pdf.Root.MarkInfo.Marked is False  # the scan has no tags


def test_it_keeps_the_pdfa_claim_when_every_part_is_pdfa(all_pdfa):
    pdf = all_pdfa.pdf
    assert all_pdfa.result.is_pdfa is True
    assert all_pdfa.result.pdfa_level == "3A"
    meta = pdf.open_metadata()
    assert meta["pdfaid:part"] == "3"
    assert meta["pdfaid:conformance"] == "A"
    assert pdf.Root.MarkInfo.Marked is True
    assert "/OutputIntents" in pdf.Root
    assert str(pdf.Root.Lang) == "de"


def number_tree(node):
    entries = dict(zip(node.Nums[::2], node.Nums[1::2], strict=True)) if "/Nums" in node else {}
    for kid in node.get("/Kids", []):
        entries.update(number_tree(kid))
    return {int(key): value for key, value in entries.items()}


def test_it_merges_the_structure_trees(all_pdfa):
    pdf = all_pdfa.pdf
    root = pdf.Root.StructTreeRoot
    document = root.K[0]
    assert document.S == pikepdf.Name.Document
    assert [part.S for part in document.K] == [pikepdf.Name.Part] * 4  # ToC, Vorlage, two Anlagen
    assert all(part.P.objgen == document.objgen for part in document.K)
    parent_tree = number_tree(root.ParentTree)
    keys = set()
    for page in pdf.pages:
        key = int(page.obj.StructParents)
        keys.add(key)
        elements = parent_tree[key]
        assert len(elements) > 0
        for element in elements:
            assert element.Pg.objgen == page.obj.objgen
    assert len(keys) == len(pdf.pages)
    assert int(root.ParentTreeNextKey) > max(keys)


def with_broken_structure_tree(data):
    pdf = pikepdf.open(io.BytesIO(data))
    pdf.Root.StructTreeRoot.ParentTree = pikepdf.Dictionary(Nums=pikepdf.Array([pikepdf.Name.Kaputt, 1]))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_it_takes_a_part_with_an_unreadable_structure_tree_untagged(sources):
    anlagen = [(ANLAGEN[0], sources.agreement), (ANLAGEN[3], with_broken_structure_tree(sources.letter))]
    result = build_bundle(sources.vorlage, anlagen, title=TITLE)
    pdf = pikepdf.open(io.BytesIO(result.content))
    assert pdf.Root.MarkInfo.Marked is False
    assert result.pdfa_level == "3U"  # still PDF/A with Unicode text, no longer level A
    letter_page = pdf.pages[result.anlage_start_pages[1] - 1]
    assert "/StructParents" not in letter_page.obj  # no key into another part's entries
    assert all("/StructParents" in page.obj for page in pdf.pages[: result.anlage_start_pages[1] - 1])
    assert len(pdf.Root.StructTreeRoot.K[0].K) == 3  # ToC, Vorlage, Anlage 1


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda s: encrypted(s.letter), "ist verschlüsselt."),
        (lambda s: encrypted(s.letter, user_password=""), "ist verschlüsselt."),
        (lambda s: s.letter[: len(s.letter) // 2], "ist beschädigt."),
        (lambda s: b"%PDF-1.7\nkein echtes PDF\n%%EOF\n", "ist beschädigt."),
        (lambda s: b"PK\x03\x04 eigentlich ein ZIP-Archiv", "ist keine PDF-Datei."),
        (lambda s: b"", "ist keine PDF-Datei."),
    ],
    ids=["encrypted", "owner-password-only", "truncated", "garbage", "zip", "empty"],
)
def test_it_names_an_anlage_that_cannot_be_merged(sources, make, problem):
    anlagen = [(ANLAGEN[0], sources.agreement), (ANLAGEN[1], None), (ANLAGEN[3], make(sources))]
    with pytest.raises(BundleError) as caught:
        build_bundle(sources.vorlage, anlagen, title=TITLE)
    assert str(caught.value) == f"Anlage 3 „{ANLAGEN[3]}“ {problem}"


def test_it_names_an_anlage_without_pages(sources):
    empty = pikepdf.new()
    buffer = io.BytesIO()
    empty.save(buffer)
    with pytest.raises(BundleError, match="Anlage 1 „leer“ ist beschädigt."):
        build_bundle(sources.vorlage, [("leer", buffer.getvalue())], title=TITLE)


def test_it_names_an_anlage_whose_page_cannot_be_stamped(sources):
    pdf = pikepdf.open(io.BytesIO(plain_pdf(2)))
    pdf.pages[1].obj.CropBox = pikepdf.Array([0, 0, pikepdf.Name.Breite, 842])
    buffer = io.BytesIO()
    pdf.save(buffer)
    with pytest.raises(BundleError, match="^Anlage 1 „Scan“ ist beschädigt.$"):
        build_bundle(sources.vorlage, [("Scan", buffer.getvalue())], title=TITLE)


def test_it_builds_a_second_toc_page_when_the_first_is_full(sources):
    # 45 one-line entries: more than one page holds (about 31 since WeasyPrint 70, whose flex layout no longer
    # wraps these titles), fewer than two.
    anlagen = [(f"Schreiben Nummer {n} mit einem recht langen Titel, der eine Zeile füllt", sources.letter)
               for n in range(1, 46)]
    result = build_bundle(sources.vorlage, anlagen, title=TITLE)
    assert result.toc_page_count == 2
    assert result.vorlage_start_page == 3
    assert result.anlage_start_pages[:3] == [5, 6, 7]
    texts = page_texts(result.content)
    assert_in_order("".join(texts[:2]), ["Anlage 30: Schreiben Nummer 30", "Seite 34"])
    assert_contains(texts[33], f"Seite 34 von {result.page_count}")


def test_it_wraps_a_long_title_and_keeps_its_page_number_on_the_page(sources):
    """A title without spaces, longer than a line, and one with spaces over three lines: both wrap inside the page,
    and every entry keeps its page number (it was pushed off the page)."""
    unbroken = "Stellungnahme_des_Kreisausschusses_zur_Zielvereinbarung_" * 4
    spaced = "Schreiben des Ministeriums mit einem sehr langen Betreff, " * 6
    result = build_bundle(sources.vorlage, [(unbroken, sources.letter), (spaced, sources.letter)], title=TITLE)
    toc = page_texts(result.content)[0]
    assert toc.count("Seite ") == 4  # the Vorlage, both Anlagen, and the stamp "Gesamtdokument: Seite 1 von 5"
    assert_in_order(toc, ["Vorlage", "Seite 2", "Anlage 1:", "Seite 4", "Anlage 2:", "Seite 5"])
    assert unbroken not in toc and unbroken in toc.replace("\n", "")  # wrapped inside the word
    reader = pypdf.PdfReader(io.BytesIO(result.content))
    width = float(reader.pages[0].mediabox.width)
    starts = {}  # where each page number begins: x of the text rendering matrix (tm times cm)
    reader.pages[0].extract_text(visitor_text=lambda text, cm, tm, *_: starts.setdefault(text.strip(), (
        tm[4] * cm[0] + tm[5] * cm[2] + cm[4])) if text.strip().startswith("Seite ") else None)
    assert {"Seite 2", "Seite 4", "Seite 5"} <= set(starts)
    assert all(0 < starts[n] < width - 20 for n in ("Seite 2", "Seite 4", "Seite 5"))


def test_it_merges_and_stamps_200_pages_in_10_anlagen_within_two_seconds(sources):
    scans = [(f"Anlage {n}", plain_pdf(20)) for n in range(1, 11)]
    build_bundle(sources.vorlage, scans[:1], title=TITLE)  # warm-up: fonts of the ToC and the stamps
    # CPU time, not wall time: the target is this process's work, not what other processes do meanwhile.
    started = time.process_time()
    result = build_bundle(sources.vorlage, scans, title=TITLE)
    seconds = time.process_time() - started
    assert result.page_count == 1 + 2 + 200
    assert seconds <= 2.0, f"{seconds:.2f} s"


# --- from the database --------------------------------------------------------------------------------------------

def test_it_bundles_a_vorlage_with_its_stored_anlagen(db, sources):
    vorlage = build_reference_vorlage(
        anlage_files=[sources.agreement, sources.scan, None, sources.letter, sources.letter],
        sections=[("I. Rechtliche Grundlagen", "Kurz.")],
    )
    result = build_vorlage_bundle(vorlage_queryset().get(pk=vorlage.pk))
    pdf = pikepdf.open(io.BytesIO(result.content))
    vorlage_pages = 2
    assert result.page_count == 1 + vorlage_pages + 3 + 3 + 1 + 1
    assert result.anlage_start_pages == [4, 7, None, 10, 11]
    assert str(pdf.docinfo["/Title"]).startswith("Vorlage 50/015/2012: Zielsteuerung 2012")
    assert str(pdf.docinfo["/Author"]) == "Frau Ulrike Gansauer, Fachbereich 50 Sozialamt"
    toc = page_texts(result.content)[0]
    assert_in_order(toc, ["Vorlage 50/015/2012", "Seite 2", *[
        part for number, title in enumerate(ANLAGEN, start=1)
        for part in (f"Anlage {number}: {title}", "(ohne Datei)" if number == 3 else "Seite")
    ]])
    bookmarks = outline_pages(pdf)
    assert bookmarks[f"Anlage 5: {ANLAGEN[4]}"][0] == 10
    assert "Beschlussvorschlag" in [
        child.title for item in pdf.open_outline().root[1].children for child in item.children
    ]


def test_it_names_a_stored_anlage_whose_file_changed(db, sources):
    vorlage = build_reference_vorlage(anlage_files=[sources.letter], sections=[("I.", "x")])
    document = m.Document.objects.get(vorlage_anlagen__vorlage=vorlage)
    assert document.sha256 == hashlib.sha256(sources.letter).hexdigest()
    with open(document.file.path, "wb") as handle:  # storage lost or changed the upload
        handle.write(sources.agreement)  # a valid PDF, but not the one that was uploaded and checked
    with pytest.raises(BundleError, match=f"^Anlage 1 „{ANLAGEN[0]}“ ist beschädigt.$"):
        build_vorlage_bundle(vorlage_queryset().get(pk=vorlage.pk))


def test_it_names_a_stored_anlage_whose_file_is_gone(db, sources):
    vorlage = build_reference_vorlage(anlage_files=[sources.letter, sources.letter], sections=[("I.", "x")])
    document = m.Document.objects.filter(vorlage_anlagen__vorlage=vorlage).order_by("vorlage_anlagen__order")[1]
    document.file.storage.delete(document.file.name)
    with pytest.raises(BundleError, match=f"^Anlage 2 „{ANLAGEN[1]}“: Die Datei ist nicht mehr vorhanden.$"):
        build_vorlage_bundle(vorlage_queryset().get(pk=vorlage.pk))


def test_it_measures_a_bundle():
    from agreements.tooling.benchmark.pdf import measure_bundle

    figures = measure_bundle(n_anlagen=2, total_pages=4, repeats=1)
    assert figures["pages"] == 1 + 2 + 4
    assert figures["seconds"] > 0 and figures["first_seconds"] > 0
