"""Input-hash cache for PDFs that are not stored for good (drafts, previews).

The key is the SHA-256 of everything the PDF depends on (the rendered HTML, which carries the inlined
stylesheet, plus a version salt), so an unchanged input is not rendered twice and any change gives a new key:
there is nothing to invalidate. Entries live under MEDIA_ROOT/cache/pdf/<key>.pdf. They are written to a
temporary file in the same directory and moved into place with os.replace, which is atomic: a concurrent
reader (another worker, another app server on the shared file system) sees the whole old state or the whole
new file, never half a PDF. Two processes that miss at the same moment both render; the last rename wins and
both results are valid.

Released Vorlagen and signed agreements never come here: they are rendered once and stored as Documents.
"""

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

CACHE_SUBDIR = ("cache", "pdf")


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


def cache_path(key):
    return cache_dir() / f"{key}.pdf"


def _looks_complete(data):
    # A file that is there is complete (atomic rename); this only guards against a disk that lost data.
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def read_cached(key):
    try:
        data = cache_path(key).read_bytes()
    except FileNotFoundError:
        return None
    if not _looks_complete(data):
        logger.warning("Ignoring incomplete PDF cache entry %s", key)
        return None
    return data


def write_atomic(path, data, mode=0o640):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def cached_pdf(key_parts, build) -> bytes:
    """The PDF for these inputs: from the cache, or build() it and store it."""
    key = cache_key(key_parts)
    data = read_cached(key)
    if data is not None:
        return data
    data = build()
    try:
        write_atomic(cache_path(key), data)
    except OSError:
        # A full or read-only cache must not stop anybody from getting the PDF.
        logger.exception("Could not store PDF cache entry %s", key)
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
    return removed
