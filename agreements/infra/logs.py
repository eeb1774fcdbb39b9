"""Filters for the server log (settings.LOGGING)."""

import logging

from django.core.exceptions import PermissionDenied


def _one_line(text):
    """`text` with its control characters (line breaks) escaped, as Django escapes the path it logs."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class RefusalWithoutTraceback(logging.Filter):
    """A refused request (PermissionDenied, 403) logged as one warning line, with its reason but no traceback.

    Django's own 403 record carries the exception's traceback; a refusal is an ordinary answer (a reader opening
    a write page), not a fault, and the server log is to show tracebacks for faults only.
    """

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied):
            reason = str(exc)
            if reason:
                record.msg = f"{record.msg} (%s)"
                record.args = (*record.args, _one_line(reason))
            record.exc_info = None
            record.exc_text = None
        return True
