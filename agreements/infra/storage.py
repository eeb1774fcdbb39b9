"""Writing a file so that nobody ever reads half of it.

One mechanism for every file the app writes outside Django's storage API (the PDF cache, exported archives and
Vorlagen): the content goes to a temporary file in the target's directory, is flushed to disk (fsync) and then
moved over the target with os.replace, which is atomic on one file system. A reader sees the old file or the new
one, never a mixture; a failure (an exception in the block, a full disk) leaves the old file as it was and no
temporary file behind.
"""

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path, *, mode=0o640):
    """Yield a binary file to write `path`'s new content to; it replaces `path` when the block ends without error.

    `mode` is the new file's permission bits (mkstemp would leave 0o600). The directory is created if missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            yield tmp
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
