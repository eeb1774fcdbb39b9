"""Reading the members of an untrusted ZIP: plain files only, within the limits, never more bytes than declared."""

import hashlib
import io
import re
import stat
import tempfile
import zipfile
import zlib

from django.conf import settings
from django.utils.translation import gettext as _

from agreements.infra.uploads import format_mb
from agreements.transfer.archive.format import AGREEMENT_JSON, CHUNK, MANIFEST, ArchiveError

MAX_MANIFEST_SIZE = 16 * 1024 * 1024
# Limits on what an archive may unpack to, checked against the sizes the ZIP declares before anything is read and
# against the bytes actually read while reading. A document member has the upload limit (UPLOAD_MAX_BYTES).
MAX_AGREEMENT_JSON_SIZE = 256 * 1024 * 1024
MAX_TOTAL_SIZE = 8 * 1024 * 1024 * 1024
MAX_MEMBERS = 100_000
# A document being checked or stored is held in memory up to this size, in a temporary file beyond it.
SPOOL_IN_MEMORY = 4 * 1024 * 1024
# The MS-DOS directory attribute in the low byte of a ZIP entry's external attributes.
MSDOS_DIRECTORY = 0x10


def read_member(zf, info, limit, *, sink=None):
    """SHA-256 and size of one member, read in chunks into `sink` (if given); never more than `limit` bytes are
    read, so neither a lying size in the ZIP nor a zip bomb gets further than the limit."""
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(info) as handle:
            while chunk := handle.read(min(CHUNK, limit + 1 - size)):
                size += len(chunk)
                if size > limit:
                    raise ArchiveError(
                        _("Die Datei „%(path)s“ im Archiv ist größer als angegeben; es wurde nichts gespeichert.")
                        % {"path": info.filename}
                    )
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as error:
        # A damaged member (CRC, truncated data), an encrypted one or an unknown compression.
        raise ArchiveError(
            _("Die Datei „%(path)s“ im Archiv ist beschädigt oder verändert worden (%(error)s); es wurde nichts "
              "gespeichert.") % {"path": info.filename, "error": error}
        ) from None
    return digest.hexdigest(), size


def read_small_member(zf, info, limit):
    sink = io.BytesIO()
    read_member(zf, info, limit, sink=sink)
    return sink.getvalue()


def spool_member(zf, info, limit):
    """The member's bytes in a temporary file (in memory only while small), its SHA-256 and size."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        sha256, size = read_member(zf, info, limit, sink=spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, sha256, size


def tampered(path):
    return ArchiveError(
        _("Die Datei „%(path)s“ im Archiv stimmt nicht mit ihrer Prüfsumme (SHA-256) im Manifest überein: Das "
          "Archiv ist beschädigt oder verändert worden; es wurde nichts gespeichert.") % {"path": path}
    )


def _invalid_manifest(reason):
    return ArchiveError(_("Das Manifest des Archivs ist ungültig: %(reason)s") % {"reason": reason})


def too_large(path, limit):
    return ArchiveError(
        _("Die Datei „%(path)s“ im Archiv ist größer als erlaubt (höchstens %(limit)s MB); es wurde nichts "
          "gespeichert.") % {"path": path, "limit": format_mb(limit)}
    )


def member_limit(path):
    if path == MANIFEST:
        return MAX_MANIFEST_SIZE
    if path == AGREEMENT_JSON:
        return MAX_AGREEMENT_JSON_SIZE
    # A document in an archive is an upload like any other: the same limit.
    return settings.UPLOAD_MAX_BYTES


def _member_problem(info):
    """Why a ZIP entry is not a plain file at a plain relative path, or None."""
    name = info.filename
    parts = name.split("/")
    if (
        not name or name.startswith("/") or "\\" in name or "\x00" in name or re.match(r"^[A-Za-z]:", name)
        or ".." in parts or "" in parts[:-1]
    ):
        return _("unzulässiger Pfad (absolut, mit „..“ oder Laufwerk)")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return _("symbolische Verknüpfung")
    if info.is_dir() or stat.S_ISDIR(mode) or info.external_attr & MSDOS_DIRECTORY:
        return _("Verzeichnis")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        # Hard links, devices, pipes: nothing an export writes, nothing an import may follow.
        return _("Verknüpfung oder Sonderdatei")
    if info.flag_bits & 0x1:
        return _("verschlüsselt")
    return None


def checked_members(zf):
    """The ZIP's entries by name, refused before any is read: anything but plain files, names twice, sizes that
    promise more than the limits (the sizes actually read are checked against these while reading)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(
            _("Das Archiv enthält mehr als %(count)s Dateien und wird nicht gelesen.") % {"count": MAX_MEMBERS}
        )
    for info in infos:
        problem = _member_problem(info)
        if problem:
            raise ArchiveError(
                _("Das Archiv enthält „%(path)s“: %(problem)s. Ein Archiv darf nur gewöhnliche Dateien enthalten; "
                  "es wurde nichts gespeichert.") % {"path": info.filename, "problem": problem}
            )
    names = [info.filename for info in infos]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ArchiveError(
            _("Das Archiv enthält Dateien mehrfach: %(names)s") % {"names": ", ".join(duplicates)}
        )
    for info in infos:
        limit = member_limit(info.filename)
        if info.file_size > limit:
            raise too_large(info.filename, limit)
    if sum(info.file_size for info in infos) > MAX_TOTAL_SIZE:
        raise ArchiveError(
            _("Das Archiv würde entpackt mehr als %(limit)s MB ergeben und wird nicht gelesen.")
            % {"limit": format_mb(MAX_TOTAL_SIZE)}
        )
    return {info.filename: info for info in infos}

