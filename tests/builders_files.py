"""Files built in code for the tests, and PDFs read back: no binaries in the repository, and each builder shows
what makes its file special. Shared by the upload, document, letter, Vorlage, bundle and export tests."""

import io
import re
import subprocess
import zipfile
from html import unescape
from pathlib import Path

import pikepdf
import pypdf
from django.core.files.uploadedfile import SimpleUploadedFile

# Uploads of every kind ---------------------------------------------------------------------------------------------


def pdf_bytes(pages=1, pdfa=False, **save_kwargs):
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    if pdfa:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "3"
            meta["pdfaid:conformance"] = "A"
    out = io.BytesIO()
    pdf.save(out, **save_kwargs)
    return out.getvalue()


def encrypted_pdf_bytes():
    return pdf_bytes(encryption=pikepdf.Encryption(owner="o", user="u"))


def owner_locked_pdf_bytes():
    """Opens without a password, but is still encrypted (printing/copying restricted)."""
    return pdf_bytes(encryption=pikepdf.Encryption(owner="o", user=""))


def truncated_pdf_bytes():
    data = pdf_bytes(pages=3)
    return data[: len(data) // 2]


def zip_bytes(members, first=None):
    """members: {name: bytes}; first: (name, bytes) written first and stored uncompressed (ODF's mimetype)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        if first:
            zf.writestr(zipfile.ZipInfo(first[0]), first[1], compress_type=zipfile.ZIP_STORED)
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx_bytes(extra=None):
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                             b'wordprocessingml/2006/main"><w:body><w:p/></w:body></w:document>',
    }
    members.update(extra or {})
    return zip_bytes(members)


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}'
    "</manifest:file-entry></manifest:manifest>"
)
ENCRYPTION = (
    '<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k"'
    ' manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/'
    'xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/></manifest:encryption-data>'
)


def odt_bytes(encrypted=False, mimetype=b"application/vnd.oasis.opendocument.text"):
    return zip_bytes(
        {
            "content.xml": b'<?xml version="1.0"?><office:document-content '
                           b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            "META-INF/manifest.xml": MANIFEST.format(encryption=ENCRYPTION if encrypted else "").encode(),
        },
        first=("mimetype", mimetype),
    )


def exe_bytes():
    return b"MZ\x90\x00\x03\x00\x00\x00" + bytes(56) + b"This program cannot be run in DOS mode.\r\n" + bytes(200)


def ole2_bytes():
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def upload(name, content, content_type="application/pdf"):
    # The browser's content type is set to something reassuring on purpose: it must not matter.
    return SimpleUploadedFile(name, content, content_type=content_type)


def media_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# PDFs as scanners and office programs make them -------------------------------------------------------------


def plain_pdf(pages, rotate_second=0):
    """An untagged, non-PDF/A PDF as scanners and office programs make them; the 2nd page may be rotated."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
    ))
    for number in range(1, pages + 1):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td (Gescannte Seite {number}) Tj ET".encode())
        if number == 2 and rotate_second:
            page.obj.Rotate = rotate_second
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def encrypted(data, user_password="geheim"):
    buffer = io.BytesIO()
    pikepdf.open(io.BytesIO(data)).save(
        buffer, encryption=pikepdf.Encryption(owner="besitzer", user=user_password)
    )
    return buffer.getvalue()


# Reading a PDF back ------------------------------------------------------------------------------------------------


def page_texts(content):
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def pdf_text(content):
    """The text of every page, one string."""
    return " ".join(page_texts(content))


def open_pdf(content):
    """Opens the bytes with pikepdf (as the app's bundle does); the number of pages."""
    assert content[:5] == b"%PDF-", f"not a PDF: {content[:20]!r}"
    with pikepdf.open(io.BytesIO(content)) as pdf:
        return len(pdf.pages)


# Where the words stand on the page (pdftotext -bbox), in points; the page and its margins as the PDFs set them.
MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
LEFT_MARGIN, RIGHT_MARGIN = 25 * MM, 20 * MM  # templates/pdf/agreement.html and static/css/pdf.css
PAGE_RE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
WORD_RE = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>')


def words_by_page(content):
    """[(width, height, [(x_min, y_min, x_max, y_max, word), ...]), ...] as pdftotext -bbox sees the pages."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=content, capture_output=True, check=True,
                          timeout=60).stdout.decode()
    return [
        (float(width), float(height),
         [(*map(float, box[:4]), unescape(box[4])) for box in WORD_RE.findall(body)])
        for width, height, body in PAGE_RE.findall(html)
    ]


def squash(text):
    """Text without what extraction varies: soft hyphens, hyphenation breaks and all whitespace.

    pypdf inserts spaces at kerning gaps ("T ext") and breaks lines where the layout did, so comparing
    without whitespace is the robust way to find a phrase.
    """
    text = text.replace("\u00ad", "")
    text = re.sub(r"\u2010\s*\n", "", text)
    return re.sub(r"\s+", "", text)


def assert_in_order(text, needles):
    haystack, position = squash(text), 0
    for needle in needles:
        wanted = squash(needle)
        found = haystack.find(wanted, position)
        assert found >= 0, f"{needle!r} not found after position {position}: …{haystack[position:position + 80]}…"
        position = found + len(wanted)


def assert_contains(text, needle):
    assert squash(needle) in squash(text), f"{needle!r} not in the extracted text"


# Files that uploads refuse by their content: (case, file name, build the bytes, what the refusal names).
REFUSED_UPLOADS = [
    ("renamed program", "rechnung.pdf", exe_bytes, "ausführbare Datei"),
    ("encrypted pdf", "vertrag.pdf", encrypted_pdf_bytes, "verschlüsselt"),
    ("pdf with owner password", "vertrag.pdf", owner_locked_pdf_bytes, "verschlüsselt"),
    ("truncated pdf", "vertrag.pdf", truncated_pdf_bytes, "beschädigt"),
    ("ole2 file", "zv.docx", ole2_bytes, "verschlüsseltes oder altes Office-Dokument (OLE)"),
    ("encrypted odt", "zv.odt", lambda: odt_bytes(encrypted=True), "verschlüsselt"),
    ("plain zip", "zv.docx", lambda: zip_bytes({"readme.txt": b"hallo"}), "ZIP-Archiv"),
    ("text named docx", "zv.docx", lambda: "Zielvereinbarung 2013\nÜbernahme".encode(), "Textdatei"),
    ("odf spreadsheet", "zv.odt", lambda: odt_bytes(mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
     "kein Textdokument"),
    ("docm", "zv.docx", lambda: docx_bytes({"word/vbaProject.bin": b"\x00" * 10}), "Makros"),
    ("png", "scan.pdf", lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), "Bild (PNG)"),
    ("unknown binary", "x.pdf", lambda: bytes(range(256)) * 4, "unbekannter Dateityp"),
    ("empty", "leer.pdf", lambda: b"", "leer"),
    ("broken zip", "zv.docx", lambda: b"PK\x03\x04" + bytes(100), "beschädigt"),
]
