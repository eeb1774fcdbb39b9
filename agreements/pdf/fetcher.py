"""The only way WeasyPrint may load anything: data: URLs and files under the app's own static folders.

User text is escaped before it reaches a template, so it cannot add tags; this fetcher is the second wall:
even a template mistake cannot make the renderer read /etc/passwd, the intranet or the internet.
"""

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetchingError

logger = logging.getLogger(__name__)


def static_roots():
    roots = [Path(settings.STATIC_ROOT)]
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, (tuple, list)) else entry))
    return [root.resolve() for root in roots]


class SafeURLFetcher(URLFetcher):
    """WeasyPrint >= 70 takes only URLFetcher instances (no plain functions, no dict results): it calls the
    instance, which calls fetch(), and reads its settings. Every way in ends in fetch(): __call__, and open() with
    a urllib Request, the way urllib's redirect handling re-enters an opener. The opener has no redirect handler
    at all, and a refused URL is logged and fails that one resource (the renderer warns and leaves it out)
    instead of the whole document.
    """

    def __init__(self, **kwargs):
        kwargs.update(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=False, timeout=2)
        super().__init__(**kwargs)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(root) for root in static_roots()) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        logger.warning("PDF renderer refused to fetch %s", url[:200])
        raise URLFetchingError(f"Refused: {url[:200]}")
