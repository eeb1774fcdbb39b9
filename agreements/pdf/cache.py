"""Input-hash cache for PDFs that are not stored for good (drafts, previews, Gesamtdokumente).

The key is the SHA-256 of everything the PDF depends on (the rendered HTML, which carries the inlined
stylesheet, plus a version salt), so an unchanged input is not rendered twice and any change gives a new key:
there is nothing to invalidate.

Every entry is checked against a checksum kept in the database (models.CachedPdf), as stored documents are: the
file is MEDIA_ROOT/cache/pdf/<key>-<sha256>.pdf, written to a temporary file and moved into place with os.replace
(atomic), and only then recorded. A reader takes the row, opens the file it names and compares the bytes with the
row's SHA-256 (agreements/infra/files.py, as for stored documents): a file replaced on disk raises TamperedFile,
a FileRefused that every caller answers as for a tampered stored document, and is dropped, so the next request
builds it anew from verified sources. A file name carries its own checksum,
so two processes that miss at the same moment and render different bytes (WeasyPrint stamps a creation time)
never overwrite each other's file; the last recorded row wins and both files are valid.

Released Vorlagen and signed agreements never come here: they are rendered once and stored as Documents.
"""

import datetime
import hashlib
import logging
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from agreements.infra.files import CACHE_CHANGED, MISSING, FileRefused, read_checked
from agreements.infra.storage import atomic_write

logger = logging.getLogger(__name__)

CACHE_SUBDIR = ("cache", "pdf")


class TamperedFile(FileRefused):
    """A cached file no longer has the checksum recorded when it was written."""

    def __init__(self, key):
        super().__init__(CACHE_CHANGED)
        self.key = key


def cache_dir():
    return Path(settings.MEDIA_ROOT).joinpath(*CACHE_SUBDIR)


def cache_key(key_parts):
    """SHA-256 over the parts; each is length-prefixed so that ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in key_parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def cache_path(key, sha256):
    return cache_dir() / f"{key}-{sha256}.pdf"


def read_cached(key):
    """The cached bytes for this key, None when there are none; TamperedFile when they were changed on disk."""
    from ..models import CachedPdf

    entry = CachedPdf.objects.filter(key=key).first()
    if entry is None:
        return None
    path = cache_path(key, entry.sha256)
    try:
        return read_checked(lambda: path.open("rb"), entry.sha256, size=entry.size, label=f"Cached PDF {path}",
                            changed=CACHE_CHANGED, log_missing=False)
    except FileRefused as refused:
        CachedPdf.objects.filter(key=key, sha256=entry.sha256).delete()
        if refused.reason == MISSING:
            # Pruned or lost: nothing to serve, nothing wrong with what exists; build it again.
            return None
        path.unlink(missing_ok=True)
        raise TamperedFile(key) from refused


def forget(key):
    """Drop the entry for this key, row and file (the benchmark measures cold renderings with it)."""
    from ..models import CachedPdf

    for entry in CachedPdf.objects.filter(key=key):
        cache_path(key, entry.sha256).unlink(missing_ok=True)
        entry.delete()


def store(key, data):
    """Write the bytes under their checksum, then record it; a failure to store is logged, never raised."""
    from ..models import CachedPdf

    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with atomic_write(cache_path(key, sha256)) as out:
            out.write(data)
    except OSError:
        # A full or read-only cache must not stop anybody from getting the PDF.
        logger.exception("Could not store PDF cache entry %s", key)
        return
    CachedPdf.objects.update_or_create(key=key, defaults={"sha256": sha256, "size": len(data)})


def cached_pdf(key_parts, build) -> bytes:
    """The PDF for these inputs: from the cache (verified), or build() it and store it."""
    key = cache_key(key_parts)
    data = read_cached(key)
    if data is not None:
        return data
    data = build()
    store(key, data)
    return data


def prune(max_age_seconds=30 * 24 * 3600):
    """Delete entries not written for max_age_seconds (and stale temporary files); returns their number.

    Nothing depends on an entry surviving, so pruning is always safe, even while other processes run.
    """
    directory = cache_dir()
    if not directory.is_dir():
        return 0
    limit = time.time() - max_age_seconds
    removed = 0
    for entry in directory.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                entry.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    # Rows whose file is gone are dropped when they are next read (read_cached); old ones go now.
    from ..models import CachedPdf

    CachedPdf.objects.filter(written__lt=timezone.now() - datetime.timedelta(seconds=max_age_seconds)).delete()
    return removed
