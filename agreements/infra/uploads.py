"""What an uploaded file really is, decided by its content.

Neither the file name nor the browser's content type is trusted: a renamed program or an encrypted
document must not end up in the records as "PDF". Only three formats are accepted, because they can be read
and archived without special software years later: PDF, DOCX and ODT (text). Everything else is refused with
a message that says what the file appears to be, so the user knows what to do (export as PDF, remove the
password, …).
"""

import hashlib
import zipfile
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"

EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt"}

CHUNK_SIZE = 64 * 1024
# Enough of the start of a file to recognise it (magic numbers, "is this text?").
HEAD_SIZE = 1024
# A zip that promises more than this when unpacked is refused before anything is unpacked (zip bomb).
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
# Small control files (manifest, mimetype) are read into memory; nothing legitimate comes close to this.
ZIP_MAX_CONTROL_FILE = 1024 * 1024

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Formats that are refused but recognisable, so the message can name them. Order matters (longest first).
KNOWN_REFUSED = (
    (OLE2_MAGIC, _("verschlüsseltes oder altes Office-Dokument (OLE)")),
    (b"\x7fELF", _("ausführbare Datei")),
    (b"\xfe\xed\xfa\xce", _("ausführbare Datei")),
    (b"\xfe\xed\xfa\xcf", _("ausführbare Datei")),
    (b"\xce\xfa\xed\xfe", _("ausführbare Datei")),
    (b"\xcf\xfa\xed\xfe", _("ausführbare Datei")),
    (b"MZ", _("ausführbare Datei")),
    (b"#!", _("Skript")),
    (b"{\\rtf", _("RTF-Dokument")),
    (b"\x89PNG\r\n\x1a\n", _("Bild (PNG)")),
    (b"\xff\xd8\xff", _("Bild (JPEG)")),
    (b"GIF8", _("Bild (GIF)")),
    (b"II*\x00", _("Bild (TIFF)")),
    (b"MM\x00*", _("Bild (TIFF)")),
    (b"Rar!", _("RAR-Archiv")),
    (b"7z\xbc\xaf\x27\x1c", _("7-Zip-Archiv")),
    (b"\x1f\x8b", _("gzip-Archiv")),
)


def _describe_refused(head):
    what = next((label for magic, label in KNOWN_REFUSED if head.startswith(magic)), None)
    if what:
        return what
    if b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut off at the end of the sample is still text.
            cut_off = exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
            text = head[: exc.start].decode("utf-8") if cut_off else None
        if text is not None:
            if text.lstrip().lower().startswith(("<!doctype html", "<html")):
                return _("HTML-Datei")
            return _("Textdatei")
    return _("unbekannter Dateityp")


class UploadRejected(DomainError):
    """The file is not accepted; the German message says why. Nothing has been stored."""


@dataclass(frozen=True)
class UploadInfo:
    content_type: str
    extension: str
    size: int
    sha256: str
    is_pdfa: bool = False


def format_mb(limit):
    """A byte count in MB for messages: "20", "0,5", never a misleading "0"."""
    mb = limit / (1024 * 1024)
    decimals = 0 if mb == int(mb) else 1 if mb >= 10 else 2 if mb >= 0.1 else 4
    return number_format(round(mb, decimals), decimal_pos=decimals, use_l10n=True)


def _refuse_type(what):
    return UploadRejected(
        _("Dateien dieser Art werden nicht angenommen: %(what)s. Erlaubt sind PDF, DOCX und ODT.")
        % {"what": what}
    )


def _hash_and_size(uploaded_file, limit):
    """SHA-256 and size, read in chunks; stops one chunk after the limit so a huge file never fills memory."""
    digest = hashlib.sha256()
    size = 0
    uploaded_file.seek(0)
    while True:
        chunk = uploaded_file.read(min(CHUNK_SIZE, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise UploadRejected(
                _("Die Datei ist zu groß. Erlaubt sind höchstens %(limit)s MB.") % {"limit": format_mb(limit)}
            )
        digest.update(chunk)
    if size == 0:
        raise UploadRejected(_("Die Datei ist leer."))
    return digest.hexdigest(), size


def _inspect_pdf(uploaded_file):
    """Returns is_pdfa. Refuses encrypted and damaged files: both would break the committee bundle later."""
    uploaded_file.seek(0)
    try:
        with pikepdf.open(uploaded_file) as pdf:
            if pdf.is_encrypted:
                raise UploadRejected(
                    _("Die PDF-Datei ist verschlüsselt oder mit einem Kennwort geschützt. "
                      "Bitte laden Sie eine Fassung ohne Schutz hoch.")
                )
            page_count = len(pdf.pages)
            # qpdf repairs truncated files silently and only leaves a warning; a repaired file is not the
            # document that was sent, so it is refused.
            if pdf.get_warnings() or page_count == 0:
                raise UploadRejected(_("Die PDF-Datei ist beschädigt oder unvollständig."))
            return _has_pdfa_marker(pdf)
    except UploadRejected:
        raise
    except pikepdf.PasswordError as exc:
        raise UploadRejected(
            _("Die PDF-Datei ist verschlüsselt oder mit einem Kennwort geschützt. "
              "Bitte laden Sie eine Fassung ohne Schutz hoch.")
        ) from exc
    except Exception as exc:  # noqa: BLE001 -- whatever qpdf chokes on is a damaged file, never a 500
        raise UploadRejected(_("Die PDF-Datei ist beschädigt oder unvollständig.")) from exc


def _has_pdfa_marker(pdf):
    try:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return bool(meta.get("pdfaid:part"))
    except Exception:  # noqa: BLE001 -- unreadable XMP only means "not PDF/A", never a refusal
        return False


def _read_member(zf, info):
    if info.file_size > ZIP_MAX_CONTROL_FILE:
        raise UploadRejected(_("Das Dokument ist beschädigt oder unvollständig."))
    with zf.open(info) as fh:
        return fh.read(ZIP_MAX_CONTROL_FILE + 1)


def _inspect_zip(uploaded_file):
    """DOCX or ODT (text); anything else in a zip container is refused. Returns the content type."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as zf:
            members = zf.infolist()
            if len(members) > ZIP_MAX_MEMBERS or sum(i.file_size for i in members) > ZIP_MAX_UNCOMPRESSED:
                raise UploadRejected(
                    _("Das Archiv würde entpackt mehr als %(limit)s MB ergeben und wird nicht angenommen.")
                    % {"limit": format_mb(ZIP_MAX_UNCOMPRESSED)}
                )
            if any(i.flag_bits & 0x1 for i in members):
                raise _refuse_type(_("verschlüsseltes ZIP-Archiv"))
            names = {i.filename for i in members}
            if members and members[0].filename == "mimetype":
                return _inspect_odf(zf, members[0], names)
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                if "word/vbaProject.bin" in names:
                    raise _refuse_type(_("Word-Dokument mit Makros"))
                return DOCX
            raise _refuse_type(_("ZIP-Archiv"))
    except UploadRejected:
        raise
    except Exception as exc:  # noqa: BLE001 -- BadZipFile, zlib.error, bad headers: all mean a damaged file
        raise UploadRejected(_("Das Dokument ist beschädigt oder unvollständig.")) from exc


def _inspect_odf(zf, mimetype_info, names):
    mimetype = _read_member(zf, mimetype_info).decode("ascii", errors="replace")
    if mimetype != ODT:
        raise _refuse_type(
            _("OpenDocument-Datei, aber kein Textdokument (%(type)s)") % {"type": mimetype[:80]}
        )
    if "content.xml" not in names or "META-INF/manifest.xml" not in names:
        raise UploadRejected(_("Das Dokument ist beschädigt oder unvollständig."))
    manifest = _read_member(zf, zf.getinfo("META-INF/manifest.xml"))
    # ODF records encryption in the manifest; an encrypted file cannot be read without the key.
    if b"encryption-data" in manifest:
        raise UploadRejected(
            _("Das ODT-Dokument ist verschlüsselt oder mit einem Kennwort geschützt. "
              "Bitte laden Sie eine Fassung ohne Schutz hoch.")
        )
    return ODT


def inspect_upload(uploaded_file):
    """Check an upload by its content and return what it is; raises UploadRejected with a German reason.

    Leaves the file positioned at its start so it can be saved afterwards.
    """
    limit = settings.UPLOAD_MAX_BYTES
    sha256, size = _hash_and_size(uploaded_file, limit)
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_SIZE)
    is_pdfa = False
    try:
        if head.startswith(b"%PDF-"):
            content_type = PDF
            is_pdfa = _inspect_pdf(uploaded_file)
        elif head.startswith(ZIP_MAGICS):
            content_type = _inspect_zip(uploaded_file)
        else:
            raise _refuse_type(_describe_refused(head))
    finally:
        uploaded_file.seek(0)
    return UploadInfo(
        content_type=content_type, extension=EXTENSIONS[content_type], size=size, sha256=sha256,
        is_pdfa=is_pdfa,
    )


# --- Form data the server cannot read ------------------------------------------------------------------------

# Django's multipart parser refuses a part whose headers exceed 1024 bytes (MAX_TOTAL_HEADER_SIZE) with this
# message. In practice that is a file name of roughly 950 characters or more (fewer with umlauts).
_HEADER_TOO_LONG = "header size exceeded"


class UnreadableUploadMiddleware:
    """Turns an upload the server cannot parse because of its file name into a message on the form.

    Django answers such a request with a bare 400: the parser gives up before the view, so no form can say what
    is wrong, and even the CSRF token in the same body is unreadable. This reads the body first (before
    CsrfViewMiddleware, which would read it anyway) and, when the file name is the cause, sends the browser back
    to the form (GET, no side effect) with the reason. Nothing has been stored: no view has run.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None
        try:
            request.POST  # noqa: B018 -- parses the body (and the files) once, as the CSRF check would
        except MultiPartParserError as exc:
            if _HEADER_TOO_LONG not in str(exc):
                raise
            messages.error(request, _(
                "Der Dateiname ist zu lang. Bitte geben Sie der Datei einen kürzeren Namen und wählen Sie sie "
                "erneut aus. Es wurde nichts gespeichert."
            ))
            target = request.get_full_path()
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "/"
            return HttpResponseRedirect(target)
        return None
