"""The Gesamtdokument: table of contents, the Vorlage and its Anlagen merged into one PDF with pikepdf.

Order of work, because each step needs the result of the one before:

1. open and check every part (an encrypted, damaged or non-PDF Anlage is named in a BundleError);
2. render the table of contents with WeasyPrint; its entries name bundle page numbers, which depend on the
   contents' own length, so it is rendered again until its page count is stable (once, in practice);
3. merge the pages, the parts' structure trees (so that a bundle of tagged parts stays tagged) and one outline
   item per part (with the part's own bookmarks below it);
4. stamp "Seite X von Y" on every page as an artifact in a content stream of our own, with a DejaVu Sans
   subset that WeasyPrint embedded once per process, so the stamp is real, extractable text and costs no
   layout per page;
5. write the document metadata: title, author, /Lang de, and a PDF/A claim only if every part made one.
"""

import functools
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NoReturn

import pikepdf
from django.template import engines
from django.utils import timezone, translation
from django.utils.translation import gettext
from pikepdf import Array, Dictionary, Name, OutlineItem, PageLocation

from . import vorlage as vorlage_pdf
from .render import html_to_pdf

logger = logging.getLogger(__name__)

STAMP_FONT_SIZE = 8.5
STAMP_RIGHT = 34.0  # pt from the right edge of the displayed page (12 mm)
STAMP_BOTTOM = 22.7  # pt from the bottom edge (8 mm): below the footer line of our own pages
# The Vorlage keeps its own footer ("Seite 1 von 4"); the bundle's stamp names itself so the two never read alike.
STAMP_PREFIX = "Gesamtdokument: "
STAMP_CHARACTERS = STAMP_PREFIX + "Seite von 0123456789"
MAX_OUTLINE_ITEMS_PER_PART = 500
MAX_OUTLINE_DEPTH = 6
PRODUCER = "Zielsteuerung (WeasyPrint, pikepdf)"


class BundleError(Exception):
    """A part cannot go into the bundle. The message is German, names the part and says what is wrong."""


@dataclass(frozen=True)
class BundleResult:
    content: bytes
    page_count: int
    # 1-based first page of each Anlage in the bundle, in the given order; None for an Anlage without a file.
    anlage_start_pages: list
    is_pdfa: bool
    toc_page_count: int = 1
    vorlage_start_page: int = 2
    pdfa_level: str = ""  # the claim written, e.g. "3A" or "3B"; "" when the bundle claims no PDF/A

    @property
    def sha256(self):
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self):
        return len(self.content)


@dataclass
class _Part:
    name: str  # for messages: "Anlage 3 „Schreiben …“"
    toc_label: str  # "Anlage 3: Schreiben …"
    pdf: pikepdf.Pdf | None = None
    page_count: int = 0
    pdfa: str = ""  # the part's own claim, e.g. "3A", "1B"
    tagged: bool = False
    start: int = 0  # 0-based index of its first page in the bundle
    outline: list = field(default_factory=list)


# --- Opening and checking the parts ------------------------------------------------------------------------

def anlage_name(number, title):
    return gettext("Anlage %(number)d „%(title)s“") % {"number": number, "title": title}


def fail(name, problem) -> NoReturn:
    """Raise the BundleError for a part: "encrypted", "damaged", "not_pdf" or "missing"."""
    messages = {
        "encrypted": gettext("%(name)s ist verschlüsselt."),
        "damaged": gettext("%(name)s ist beschädigt."),
        "not_pdf": gettext("%(name)s ist keine PDF-Datei."),
        "missing": gettext("%(name)s: Die Datei ist nicht mehr vorhanden."),
    }
    raise BundleError(messages[problem] % {"name": name})


def _open_part(part, data):
    if not data or b"%PDF-" not in data[:1024]:
        fail(part.name, "not_pdf")
    # A cut-off upload lacks the end marker; qpdf would "recover" what it can and silently lose pages.
    if b"%%EOF" not in data[-8192:]:
        fail(part.name, "damaged")
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        fail(part.name, "encrypted")
    except Exception:  # qpdf reports damage in several exception types; all of them mean the same here
        logger.info("Cannot open %s", part.name, exc_info=True)
        fail(part.name, "damaged")
    if pdf.is_encrypted:
        # Opens without a password, but restricts changes: merging it would strip the owner's restrictions.
        fail(part.name, "encrypted")
    try:
        pages = pdf.pages
        for page in pages:
            page.mediabox  # noqa: B018 (touching it resolves the page; a broken page tree raises here)
            contents = page.obj.get("/Contents")
            for stream in contents if isinstance(contents, Array) else [contents] if contents is not None else []:
                stream.read_raw_bytes()
        part.page_count = len(pages)
    except Exception:
        logger.info("Broken page in %s", part.name, exc_info=True)
        fail(part.name, "damaged")
    if part.page_count == 0:
        fail(part.name, "damaged")
    part.pdf = pdf
    part.pdfa = _pdfa_claim(pdf)
    part.tagged = _is_tagged(pdf)
    return part


def _pdfa_claim(pdf):
    try:
        return pdf.open_metadata().pdfa_status or ""
    except Exception:  # unreadable XMP: no claim we could rely on
        return ""


def _is_tagged(pdf):
    mark_info = pdf.Root.get("/MarkInfo")
    return (
        "/StructTreeRoot" in pdf.Root
        and isinstance(mark_info, Dictionary)
        and bool(mark_info.get("/Marked", False))
    )


# --- Table of contents -------------------------------------------------------------------------------------

TOC_TEMPLATE = """{% extends "pdf/base_pdf.html" %}
{% block extra_head %}<style>@page { @bottom-center { content: none; } }</style>{% endblock %}
{% block content %}
<h1>Inhalt</h1>
<p class="toc-subtitle">{{ subtitle }}</p>
<ol class="toc">
{% for entry in entries %}
<li><span class="toc-label">{{ entry.label }}</span>
{% if entry.page %}<span class="toc-page">Seite {{ entry.page }}</span>
{% else %}<span class="toc-page missing">(ohne Datei)</span>{% endif %}</li>
{% endfor %}
</ol>
{% endblock %}"""


def _toc_entries(parts, toc_pages):
    entries, page = [], toc_pages + 1
    for part in parts:
        entries.append({"label": part.toc_label, "page": page if part.pdf is not None else None})
        page += part.page_count
    return entries


def _render_toc(parts, toc_pages, *, title, author, description):
    context = {
        "pdf_title": f"{gettext('Inhalt')} – {title}",
        "pdf_author": author,
        "pdf_description": description,
        "pdf_css": vorlage_pdf.pdf_stylesheet(),
        "subtitle": title,
        "entries": _toc_entries(parts, toc_pages),
    }
    with translation.override("de"):
        html = engines["django"].from_string(TOC_TEMPLATE).render(context)
    return html_to_pdf(html)


def _table_of_contents(parts, **meta):
    toc_pages = 1
    for _attempt in range(5):
        toc = pikepdf.open(io.BytesIO(_render_toc(parts, toc_pages, **meta)))
        if len(toc.pages) == toc_pages:
            return toc
        toc_pages = len(toc.pages)
    raise BundleError(gettext("Das Inhaltsverzeichnis konnte nicht umbrochen werden."))


# --- Page number stamps ------------------------------------------------------------------------------------

class _StampFont:
    """A font WeasyPrint embedded (PDF/A-conforming, with ToUnicode), and how to write text with it."""

    def __init__(self, pdf_bytes):
        self.pdf = pikepdf.open(io.BytesIO(pdf_bytes))
        fonts = list(self.pdf.pages[0].Resources.Font.values())
        if len(fonts) != 1 or fonts[0].get("/Encoding") != Name("/Identity-H"):
            raise RuntimeError("Unexpected font embedding in the page number sheet")
        self.font = fonts[0]
        self.codes = _parse_to_unicode(self.font.ToUnicode.read_bytes())
        descendant = self.font.DescendantFonts[0]
        self.default_width = float(descendant.get("/DW", 1000))
        self.widths = _parse_cid_widths(descendant.get("/W", Array()))
        missing = set(STAMP_CHARACTERS) - set(self.codes)
        if missing:
            raise RuntimeError(f"Page number font lacks {''.join(sorted(missing))!r}")

    def encode(self, text):
        return b"".join(self.codes[char] for char in text)

    def width(self, text, size):
        total = sum(self.widths.get(int.from_bytes(self.codes[char], "big"), self.default_width) for char in text)
        return total * size / 1000


@functools.lru_cache(maxsize=1)
def _stamp_font_sheet():
    # One small WeasyPrint page with every character a stamp needs, rendered once per process. Ligatures and
    # kerning are off so that every character is its own glyph.
    html = (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Seitenzahlen</title><style>'
        "@page { size: 150mm 15mm; margin: 2mm; } body { margin: 0; font-family: 'DejaVu Sans', sans-serif; "
        "font-size: 9pt; font-variant-ligatures: none; font-kerning: none; }</style></head><body><p>"
        + " ".join(STAMP_CHARACTERS.replace(" ", ""))
        + "</p></body></html>"
    )
    return html_to_pdf(html, variant="pdf/a-3b")


def _parse_to_unicode(cmap):
    """{character: code bytes} from a ToUnicode CMap (bfchar and bfrange entries)."""
    text = cmap.decode("latin-1")
    codes = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for source, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            char = bytes.fromhex(target).decode("utf-16-be", errors="ignore")
            if len(char) == 1:
                codes.setdefault(char, bytes.fromhex(source))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start, end, first = int(low, 16), int(high, 16), int(target, 16)
            for offset in range(end - start + 1):
                codes.setdefault(chr(first + offset), (start + offset).to_bytes(len(low) // 2, "big"))
    return codes


def _parse_cid_widths(w_array):
    """{cid: width} from a CIDFont /W array: "c [w1 w2 …]" and "c_first c_last w" forms."""
    widths, items, i = {}, list(w_array), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            last, width = int(items[i + 1]), float(items[i + 2])
            for cid in range(first, last + 1):
                widths[cid] = width
            i += 3
    return widths


def _stamp_matrix(page, text_width):
    """Text matrix that puts the stamp bottom right of the page as displayed, whatever its /Rotate."""
    box = [float(v) for v in page.cropbox]
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
    width, height = x1 - x0, y1 - y0
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    shown_width = height if rotate in (90, 270) else width
    dx, dy = max(shown_width - STAMP_RIGHT - text_width, 2.0), STAMP_BOTTOM
    # Displayed (dx, dy) to user space: the viewer turns the page clockwise by /Rotate.
    if rotate == 90:
        return (0, 1, -1, 0, x0 + width - dy, y0 + dx)
    if rotate == 180:
        return (-1, 0, 0, -1, x0 + width - dx, y0 + height - dy)
    if rotate == 270:
        return (0, -1, 1, 0, x0 + dy, y0 + height - dx)
    return (1, 0, 0, 1, x0 + dx, y0 + dy)


def _stamp_pages(out, part_names):
    """part_names[i]: the part page i comes from, to name it should its page be beyond stamping."""
    stamp = _StampFont(_stamp_font_sheet())
    font = out.copy_foreign(stamp.font)
    total = len(out.pages)
    for number, page in enumerate(out.pages, start=1):
        text = f"{STAMP_PREFIX}Seite {number} von {total}"
        try:
            name = page.add_resource(font, Name.Font, prefix="ZStamp")
            placement = _stamp_matrix(page, stamp.width(text, STAMP_FONT_SIZE))
        except Exception:  # e.g. a page box that is no rectangle
            logger.info("Cannot stamp page %d of %s", number, part_names[number - 1], exc_info=True)
            fail(part_names[number - 1], "damaged")
        matrix = " ".join(f"{value:.3f}" if isinstance(value, float) else str(value) for value in placement)
        # Wrapping the page's own content in q/Q keeps whatever graphics state it leaves from moving the
        # stamp; the artifact marking keeps the stamp out of the structure tree (PDF/A-a, PDF/UA).
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(
            (
                f"\nQ\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq\n0 0 0 rg\nBT\n"
                f"{name} {STAMP_FONT_SIZE} Tf\n{matrix} Tm\n<{stamp.encode(text).hex()}> Tj\nET\nQ\nEMC\n"
            ).encode("ascii")
        )


# --- Structure tree ----------------------------------------------------------------------------------------

def _number_tree_items(node, depth=0):
    if not isinstance(node, Dictionary) or depth > 32:
        return
    nums = node.get("/Nums")
    if isinstance(nums, Array):
        items = list(nums)
        for index in range(0, len(items) - 1, 2):
            yield int(items[index]), items[index + 1]
    kids = node.get("/Kids")
    if isinstance(kids, Array):
        for kid in kids:
            yield from _number_tree_items(kid, depth + 1)


def _indirect_copy(out, source_pdf, obj):
    if not obj.is_indirect:
        obj = source_pdf.make_indirect(obj)
    return out.copy_foreign(obj)


def _merge_structure(out, parts):
    """One structure tree for the bundle: each tagged part's tree becomes a /Part of one /Document.

    Pages were copied first, so copy_foreign maps the elements' /Pg to the bundle's pages; the parts'
    parent tree keys are shifted so that they do not collide. A part whose tree cannot be read goes in
    untagged (and the bundle is then not marked as tagged) rather than stopping the bundle.
    """
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root, K=Array()))
    root.K = Array([document])
    nums, next_key = [], 0
    role_map, class_map = Dictionary(), Dictionary()
    for part in parts:
        if part.pdf is None:
            continue
        pages = out.pages[part.start:part.start + part.page_count]
        seen = set()  # an XObject or annotation shared by several pages is shifted once
        holders = [holder for page in pages for holder in _struct_parent_holders(page, seen)]
        tree = None
        if "/StructTreeRoot" in part.pdf.Root:
            try:
                tree = _read_structure(out, part, holders)
            except Exception:
                logger.info("Ignoring the structure tree of %s", part.name, exc_info=True)
        if tree is None:
            # Keys into a parent tree that is not there would point into another part's entries.
            part.tagged = False
            for holder, key_name in holders:
                del holder[key_name]
            continue

        kids, entries, part_next_key, maps = tree
        for kid in kids:
            kid.P = document
            document.K.append(kid)
        offset = next_key
        nums.extend((key + offset, value) for key, value in entries)
        for holder, key_name in holders:
            holder[key_name] = int(holder[key_name]) + offset
        next_key = offset + part_next_key
        for target, source in zip((role_map, class_map), maps, strict=True):
            for key, value in source.items():
                if key not in target:
                    target[key] = value

    nums.sort(key=lambda item: item[0])
    flat = Array()
    for key, value in nums:
        flat.append(key)
        flat.append(value)
    root.ParentTree = out.make_indirect(Dictionary(Nums=flat))
    root.ParentTreeNextKey = next_key
    if len(role_map):
        root.RoleMap = role_map
    if len(class_map):
        root.ClassMap = class_map
    out.Root.StructTreeRoot = root


def _read_structure(out, part, holders):
    """The part's tree copied into the bundle: (top elements, parent tree entries, next key, maps)."""
    copied = _indirect_copy(out, part.pdf, part.pdf.Root.StructTreeRoot)
    kids = copied.get("/K")
    kids = list(kids) if isinstance(kids, Array) else [kids] if kids is not None else []
    elements = []
    for kid in kids:
        if not isinstance(kid, Dictionary):
            continue
        if not kid.is_indirect:
            kid = out.make_indirect(kid)
        if kid.get("/S") == Name.Document:
            kid.S = Name.Part
        elements.append(kid)
    entries = list(_number_tree_items(copied.get("/ParentTree")))
    highest = max([key for key, _value in entries] + [int(holder[name]) for holder, name in holders] + [-1])
    next_key = max(highest + 1, int(copied.get("/ParentTreeNextKey", 0)))
    maps = [
        source if isinstance(source, Dictionary) else Dictionary()
        for source in (copied.get("/RoleMap"), copied.get("/ClassMap"))
    ]
    return elements, entries, next_key, maps


def _struct_parent_holders(page, seen):
    """Objects of a page that point into the parent tree: the page, its annotations, its form XObjects."""
    if "/StructParents" in page.obj:
        yield page.obj, "/StructParents"
    for annotation in page.obj.get("/Annots", Array()):
        if isinstance(annotation, Dictionary) and "/StructParent" in annotation and annotation.objgen not in seen:
            if annotation.is_indirect:
                seen.add(annotation.objgen)
            yield annotation, "/StructParent"
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
    if isinstance(xobjects, Dictionary):
        for xobject in xobjects.values():
            if (
                isinstance(xobject, pikepdf.Stream)
                and "/StructParents" in xobject
                and xobject.objgen not in seen
            ):
                seen.add(xobject.objgen)
                yield xobject, "/StructParents"


# --- Outline -----------------------------------------------------------------------------------------------

def _named_destination(pdf, name):
    try:
        if isinstance(name, pikepdf.String):
            names = pdf.Root.get("/Names")
            if isinstance(names, Dictionary) and "/Dests" in names:
                return pikepdf.NameTree(names.Dests).get(str(name))
        dests = pdf.Root.get("/Dests")
        if isinstance(dests, Dictionary):
            return dests.get(name if isinstance(name, Name) else Name("/" + str(name)))
    except Exception:  # a broken name tree only costs the bookmark
        return None
    return None


def _resolve_destination(pdf, destination, page_index):
    """(page index in the part, XYZ keyword arguments or None) for an outline item's target."""
    if isinstance(destination, (pikepdf.String, Name)):
        destination = _named_destination(pdf, destination)
    if isinstance(destination, Dictionary):
        destination = destination.get("/D")
    if not isinstance(destination, Array) or len(destination) == 0:
        return None
    target = destination[0]
    if isinstance(target, Dictionary):
        index = page_index.get(target.objgen)
    elif isinstance(target, int):
        index = int(target)
    else:
        index = None
    if index is None or not 0 <= index < len(pdf.pages):
        return None
    location = None
    if len(destination) >= 4 and destination[1] == Name.XYZ:
        left, top = destination[2], destination[3]
        if isinstance(top, (int, float, Decimal)):
            location = {"left": float(left) if isinstance(left, (int, float, Decimal)) else 0.0, "top": float(top)}
    return index, location


def _read_outline(part):
    """The part's own bookmarks as [(title, page index in the part, location, children)]."""
    pdf = part.pdf
    if "/Outlines" not in pdf.Root:
        return []
    page_index = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    budget = [MAX_OUTLINE_ITEMS_PER_PART]

    def convert(items, depth):
        result = []
        for item in items:
            if budget[0] <= 0 or depth > MAX_OUTLINE_DEPTH:
                break
            budget[0] -= 1
            destination = item.destination
            if destination is None and isinstance(item.action, Dictionary) and item.action.get("/S") == Name.GoTo:
                destination = item.action.get("/D")
            resolved = _resolve_destination(pdf, destination, page_index)
            index, location = resolved if resolved else (0, None)
            result.append((str(item.title or ""), index, location, convert(item.children, depth + 1)))
        return result

    try:
        return convert(pikepdf.Outline(pdf, strict=False).root, 1)
    except Exception:  # bookmarks are a convenience; a broken outline must not stop the bundle
        logger.info("Ignoring the outline of %s", part.name, exc_info=True)
        return []


def _outline_items(entries, offset):
    items = []
    for title, index, location, children in entries:
        if location:
            item = OutlineItem(title, index + offset, PageLocation.XYZ, **location)
        else:
            item = OutlineItem(title, index + offset)
        item.children.extend(_outline_items(children, offset))
        items.append(item)
    return items


def _write_outline(out, parts):
    with out.open_outline() as outline:
        outline.root.append(OutlineItem(gettext("Inhalt"), 0))
        for part in parts:
            if part.pdf is None:
                continue
            item = OutlineItem(part.toc_label, part.start)
            item.children.extend(_outline_items(part.outline, part.start))
            # The Vorlage's headings are shown; an Anlage's own bookmarks only when its item is opened.
            item.is_closed = part is not parts[0]
            outline.root.append(item)


# --- Metadata ----------------------------------------------------------------------------------------------

def _bundle_pdfa_level(parts):
    """The claim the bundle may make: "3A" if every part is PDF/A level A and tagged, "3U"/"3B" below."""
    claims = [part.pdfa for part in parts if part.pdf is not None]
    # PDF/A-4 rests on PDF 2.0, which a PDF/A-3 file may not contain; so only parts 1 to 3 count.
    if not claims or not all(claim[:1] in ("1", "2", "3") for claim in claims):
        return ""
    levels = {claim[-1:].upper() for claim in claims}
    if levels == {"A"} and all(part.tagged for part in parts if part.pdf is not None):
        return "3A"
    if levels <= {"A", "U"}:
        return "3U"
    return "3B"


def _write_metadata(out, *, title, author, description, pdfa_level, tagged, output_intents):
    out.Root.Lang = pikepdf.String("de")
    out.Root.MarkInfo = Dictionary(Marked=tagged)
    out.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    out.Root.PageMode = Name.UseOutlines
    if output_intents is not None:
        out.Root.OutputIntents = output_intents
    now = timezone.localtime().replace(microsecond=0).isoformat()
    with out.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = title
        if author:
            meta["dc:creator"] = [author]
        if description:
            meta["dc:description"] = description
        meta["pdf:Producer"] = PRODUCER
        meta["xmp:CreatorTool"] = PRODUCER
        meta["xmp:CreateDate"] = now
        meta["xmp:ModifyDate"] = now
        meta["xmp:MetadataDate"] = now
        if pdfa_level:
            meta["pdfaid:part"] = pdfa_level[0]
            meta["pdfaid:conformance"] = pdfa_level[1:]
        else:
            # Not every part is PDF/A, so the bundle is not either, whatever a part's metadata said.
            for key in ("pdfaid:part", "pdfaid:conformance", "pdfaid:amd", "pdfaid:rev"):
                if key in meta:
                    del meta[key]


# --- Public API --------------------------------------------------------------------------------------------

def build_bundle(
    vorlage_pdf: bytes, anlagen, *, title, author="", description="", vorlage_label=None
) -> BundleResult:
    """Merge the Vorlage and its Anlagen [(title, bytes or None)] into one PDF; see the module docstring.

    An Anlage given as None has no file: it is listed in the table of contents as "(ohne Datei)" and keeps its
    number, so the numbers match the Vorlage's list of Anlagen.
    """
    with translation.override("de"):
        parts = [_Part(name=gettext("Die Vorlage"), toc_label=vorlage_label or gettext("Vorlage"))]
        _open_part(parts[0], vorlage_pdf)
        for number, (anlage_title, data) in enumerate(anlagen, start=1):
            part = _Part(
                name=anlage_name(number, anlage_title),
                toc_label=gettext("Anlage %(number)d: %(title)s") % {"number": number, "title": anlage_title},
            )
            if data is not None:
                _open_part(part, data)
            parts.append(part)
        for part in parts:
            if part.pdf is not None:
                part.outline = _read_outline(part)

        toc = _table_of_contents(parts, title=title, author=author, description=description)
        toc_part = _Part(name=gettext("Inhalt"), toc_label=gettext("Inhalt"), pdf=toc,
                         page_count=len(toc.pages), pdfa=_pdfa_claim(toc), tagged=_is_tagged(toc))

        out = pikepdf.new()
        position = 0
        for part in [toc_part, *parts]:
            part.start = position
            if part.pdf is not None:
                try:
                    out.pages.extend(part.pdf.pages)
                except Exception:
                    logger.info("Cannot copy the pages of %s", part.name, exc_info=True)
                    fail(part.name, "damaged")
                position += part.page_count

        merged = [toc_part, *[part for part in parts if part.pdf is not None]]
        _merge_structure(out, merged)
        _write_outline(out, parts)
        _stamp_pages(out, [part.name for part in [toc_part, *parts] for _page in range(part.page_count)])

        pdfa_level = _bundle_pdfa_level(merged)
        tagged = all(part.tagged for part in merged)
        source_intents = parts[0].pdf.Root.get("/OutputIntents")
        output_intents = (
            _indirect_copy(out, parts[0].pdf, source_intents) if isinstance(source_intents, Array) else None
        )
        _write_metadata(
            out, title=title, author=author, description=description, pdfa_level=pdfa_level, tagged=tagged,
            output_intents=output_intents,
        )
        buffer = io.BytesIO()
        try:
            out.save(
                buffer, min_version="1.7", object_stream_mode=pikepdf.ObjectStreamMode.generate,
                compress_streams=True,
            )
        except Exception as error:
            logger.exception("Writing the bundle %r failed", title)
            raise BundleError(gettext("Das Gesamtdokument konnte nicht geschrieben werden.")) from error

        return BundleResult(
            content=buffer.getvalue(),
            page_count=len(out.pages),
            anlage_start_pages=[part.start + 1 if part.pdf is not None else None for part in parts[1:]],
            is_pdfa=bool(pdfa_level),
            toc_page_count=toc_part.page_count,
            vorlage_start_page=parts[0].start + 1,
            pdfa_level=pdfa_level,
        )
