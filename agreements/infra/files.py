"""The one way a stored or cached file is opened, checked and handed out.

Every file the application keeps has a SHA-256 recorded in the database when it was written: a Document's
(uploads, generated PDFs) and a CachedPdf's. A file is read only through `open_checked`/`read_checked`, which
compare the bytes with that checksum; a file that is missing, or changed since, raises FileRefused and is never
handed out as the original. The callers decide what a refusal means to their users: the web views show a page
with status 409 (send_file, in the documents views), the OParl API answers 409 as JSON, the bundle names the
Anlage, the input-hash cache drops the entry and builds it again.

Every response that carries a file is made by `file_response`, with one rule for its headers: the RFC 6266
Content-Disposition (an ASCII fallback plus the RFC 5987 filename* with the real name), inline only for a PDF
that was asked to be shown, `X-Content-Type-Options: nosniff`, no shared caching. Only the types the upload checks
accept (PDF, DOCX, ODT) are ever served: a row of another type (an old import, a hand-made row) is refused, since
an HTML "document" served from this origin would run its scripts here.
"""

import hashlib
import io
import logging
import mimetypes
import os
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext, gettext_lazy

from agreements.infra.uploads import CHUNK_SIZE, EXTENSIONS, PDF

logger = logging.getLogger(__name__)

# Document.original_filename's max_length (tests/test_files.py keeps them equal).
MAX_FILENAME = 255
MAX_TITLE_NAME = 150
CACHE_CONTROL = "private, no-cache"

MISSING, CHANGED, CACHE_CHANGED, NOT_SERVED = "missing", "changed", "cache_changed", "not_served"
SIGNATURE_BROKEN = "signature_broken"
MESSAGES = {
    SIGNATURE_BROKEN: gettext_lazy("Eine elektronische Signatur der Datei ist nicht mehr gültig."),
    MISSING: gettext_lazy("Die gespeicherte Datei fehlt."),
    CHANGED: gettext_lazy("Die gespeicherte Datei wurde verändert."),
    CACHE_CHANGED: gettext_lazy("Die zwischengespeicherte Datei wurde verändert."),
    NOT_SERVED: gettext_lazy("Die gespeicherte Datei hat einen Dateityp, der nicht ausgeliefert wird."),
}


class FileRefused(Exception):
    """A file that is not handed out: missing, changed since its checksum was recorded, or of a type never served.

    `reason` is one of MISSING, CHANGED, CACHE_CHANGED, NOT_SERVED; `message` says it in German (or the language
    of the request).
    """

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self):
        return str(MESSAGES[self.reason])


# --- Opening and checking ----------------------------------------------------------------------------------

def _mismatch(digest, length, sha256, size):
    # An empty recorded checksum matches nothing: a file without one was never checked, so it is not served.
    return not sha256 or digest != sha256 or (size is not None and length != size)


def _open(open_file, label, log_missing):
    try:
        return open_file()
    except (OSError, ValueError) as error:  # ValueError: a FileField without a file
        if log_missing:
            logger.error("%s is missing.", label)
        raise FileRefused(MISSING) from error


def open_checked(open_file, sha256, *, size=None, label="File", changed=CHANGED, log_missing=True):
    """The open binary handle of open_file(), positioned at the start, after its bytes matched sha256 (and size).

    Reads the file once to hash it, in chunks, so a large file is never held in memory. Raises FileRefused:
    reason MISSING when it cannot be opened, `changed` when its bytes differ.
    """
    handle = _open(open_file, label, log_missing)
    try:
        _check_stream(handle, sha256, size=size, label=label, changed=changed)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def _check_stream(handle, sha256, *, size, label, changed, also=()):
    """Hash the handle's bytes in chunks; FileRefused unless they match. Returns the digests named in `also`."""
    digest, others, length = hashlib.sha256(), [hashlib.new(name) for name in also], 0
    for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
        digest.update(chunk)
        for other in others:
            other.update(chunk)
        length += len(chunk)
    if _mismatch(digest.hexdigest(), length, sha256, size):
        logger.error("%s does not match its SHA-256.", label)
        raise FileRefused(changed)
    return [other.hexdigest() for other in others]


def read_checked(open_file, sha256, *, size=None, label="File", changed=CHANGED, log_missing=True):
    """The bytes of open_file(), after they matched sha256 (and size); raises FileRefused as open_checked."""
    handle = _open(open_file, label, log_missing)
    with handle:
        data = handle.read()
    if _mismatch(hashlib.sha256(data).hexdigest(), len(data), sha256, size):
        logger.error("%s does not match its SHA-256.", label)
        raise FileRefused(changed)
    return data


def _document_label(document):
    return f"Stored file of document {document.pk} ({document.file.name})"


def _document_opener(document):
    return lambda: document.file.storage.open(document.file.name, "rb")


def open_document(document):
    """A Document's stored file, checked against its SHA-256: an open handle; raises FileRefused."""
    return open_checked(_document_opener(document), document.sha256, label=_document_label(document))


def read_document(document):
    """A Document's stored bytes, checked against its SHA-256; raises FileRefused."""
    return read_checked(_document_opener(document), document.sha256, label=_document_label(document))


def document_digest(document, algorithm):
    """Another digest of a Document's stored file (e.g. "sha512" for OParl), computed in the same pass that checks
    its SHA-256; raises FileRefused."""
    label = _document_label(document)
    with _open(_document_opener(document), label, log_missing=True) as handle:
        return _check_stream(handle, document.sha256, size=None, label=label, changed=CHANGED, also=[algorithm])[0]


# --- Names -------------------------------------------------------------------------------------------------

def clean_filename(name):
    """The user's file name as harmless metadata: no directories, no control or bidi-override characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters (a newline would split headers); Cf: e.g. U+202E, which disguises "exe.pdf".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = name.strip().strip(".")
    if len(name) > MAX_FILENAME:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_FILENAME - len(ext)] + ext
    return name


def download_name(document):
    """The original file name, or one made from the title, always with the extension of the real type."""
    extension = EXTENSIONS.get(document.content_type) or mimetypes.guess_extension(document.content_type) or ""
    name = clean_filename(document.original_filename)
    if not name:
        name = clean_filename(document.title.replace("/", "-").replace("\\", "-"))[:MAX_TITLE_NAME] or gettext(
            "Dokument")
    if extension and not name.lower().endswith(extension):
        name += extension
    return name


def content_disposition(filename, *, inline=False):
    """RFC 6266 header: an ASCII fallback for old clients plus RFC 5987 filename* carrying the real name."""
    disposition = "inline" if inline else "attachment"
    ascii_name = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_"
        for ch in unicodedata.normalize("NFKD", filename)
        if not unicodedata.combining(ch)
    )
    if ascii_name == filename:
        return f'{disposition}; filename="{filename}"'
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=utf-8''{quote(filename, safe='')}"


# --- Responses ---------------------------------------------------------------------------------------------

def file_response(request, source, *, filename, content_type=PDF, size=None, inline=False):
    """The response carrying source (an open binary handle, or bytes) under one header rule.

    inline: show it in the browser; honoured for a PDF only, anything else is a download. A HEAD request gets
    the same headers and no body (size is its Content-Length).
    """
    if isinstance(source, bytes):
        size = len(source) if size is None else size
        source = io.BytesIO(source)
    if request.method == "HEAD":
        source.close()
        response = HttpResponse(content_type=content_type)
        if size is not None:
            response["Content-Length"] = str(size)
    else:
        response = FileResponse(source, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, inline=inline and content_type == PDF)
    response["X-Content-Type-Options"] = "nosniff"
    # Access-checked and checksum-checked on every request: no shared cache keeps a copy.
    response["Cache-Control"] = CACHE_CONTROL
    return response


def check_signatures(document, content):
    """For an electronically signed Document: FileRefused(SIGNATURE_BROKEN) unless every signature in `content`
    (its checked bytes) still holds. Whom the certificates belong to is the validation page's question."""
    from agreements.signing import SigningError, validation

    try:
        broken = validation.broken(content)
    except SigningError as error:
        logger.error("Document %s: its signatures cannot be checked: %s", document.pk, error)
        raise FileRefused(SIGNATURE_BROKEN) from error
    if broken:
        logger.error("Document %s: signature %s no longer holds.", document.pk, ", ".join(r.field_name for r in broken))
        raise FileRefused(SIGNATURE_BROKEN)


def serve_document(request, document, *, filename=None, inline=False):
    """A stored Document's file, checked, as a response named filename (default: download_name); raises
    FileRefused for a missing or changed file, for a signed file whose signatures no longer hold, and for a type
    that is never served."""
    if document.content_type not in EXTENSIONS:
        logger.error("Document %s has the content type %r, which is never served.", document.pk,
                     document.content_type)
        raise FileRefused(NOT_SERVED)
    source = open_document(document)
    if document.is_signed:
        with source:
            content = source.read()
        check_signatures(document, content)
        source = content
    return file_response(
        request, source, filename=filename or download_name(document),
        content_type=document.content_type, size=document.size, inline=inline,
    )
