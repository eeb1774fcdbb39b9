"""Page timings and query counts in-process (django.test.Client), with the admin changelist and a static file as
references measured in the same rounds."""

import statistics
import time
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.services import calendar_feed
from agreements.tooling.benchmark.base import BenchmarkError, percentile, progress
from agreements.tooling.benchmark.scales import SEARCH_WORD, data_counts, scale_years

DEFAULT_REPEATS = 30


DEFAULT_WARMUP = 3


STATIC_PATH = "css/app.css"


# (key, label) in report order; the load run walks LOAD_PAGES.
PAGES = (
    ("dashboard", "Dashboard (ministry editor)"),
    ("agreement_list", "Agreement list"),
    ("agreement_detail", "Agreement page"),
    ("redline", "Redline (versions 1 and 2, inline)"),
    ("board", "Overview board (all years)"),
    ("search", f"Search „{SEARCH_WORD}“"),
    ("vorlage", "Vorlage reading view"),
    ("oparl_papers", "OParl paper list (first page)"),
    ("calendar_feed", "Calendar feed (ministry editor, by its token)"),
)


REFERENCES = (
    ("admin_changelist", "Reference: admin changelist of agreements"),
    ("static_file", f"Reference: static file /{STATIC_PATH}"),
)


def page_label(key):
    return dict((*PAGES, *REFERENCES))[key]


def page_urls(cast):
    """{key: (url, who)}, who being "editor", "admin" or "anonymous"."""
    pk = cast.agreement.pk
    first, last = cast.board_years
    return {
        "dashboard": (reverse("dashboard"), "editor"),
        "agreement_list": (reverse("agreement_list"), "editor"),
        "agreement_detail": (reverse("agreement_detail", args=[pk]), "editor"),
        "redline": (f"{reverse('version_compare', args=[pk])}?{urlencode({'a': 1, 'b': 2, 'mode': 'inline'})}",
                    "editor"),
        "board": (f"{reverse('overview_board')}?{urlencode({'year_from': first, 'year_to': last})}", "editor"),
        "search": (f"{reverse('search')}?{urlencode({'q': SEARCH_WORD})}", "editor"),
        "vorlage": (reverse("vorlage_detail", args=[cast.vorlage.pk]), "editor"),
        "oparl_papers": (reverse("oparl:body_papers", args=[cast.body.pk]), "anonymous"),
        "calendar_feed": (reverse("calendar_feed", args=[calendar_feed.feed_of(cast.editor).token]), "anonymous"),
        "admin_changelist": (reverse("admin:agreements_agreement_changelist"), "admin"),
        "static_file": (f"{settings.STATIC_URL.rstrip('/')}/{STATIC_PATH}".replace("//", "/"), "anonymous"),
    }


def _clients(cast):
    editor, admin = Client(), Client()
    editor.force_login(cast.editor)
    admin.force_login(cast.admin)
    return {"editor": editor, "admin": admin, "anonymous": Client()}


def _fetch(client, url):
    """One request, the whole body read (a streamed static file included): returns (status, bytes)."""
    response = client.get(url)
    # The test client closes the response itself (a streamed one once its content is read). Closing it again
    # would send request_finished, whose close_old_connections drops a connection inside a transaction.
    if response.streaming:
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        size = len(response.content)
    return response.status_code, size


def _check(key, url, status):
    if status != 200:
        raise BenchmarkError(f"{key}: GET {url} answered {status}, not 200; nothing to measure.")


def _count_queries(client, url, key):
    with CaptureQueriesContext(connection) as captured:
        status, size = _fetch(client, url)
    _check(key, url, status)
    queries = captured.captured_queries
    slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:3]
    return {
        "url": url,
        "queries": len(queries),
        "sql_ms": round(sum(float(q["time"]) for q in queries) * 1000, 2),
        "slowest_queries": [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:300]} for q in slowest],
        "bytes": size,
    }


def _timed_fetch(client, url, key):
    start = time.perf_counter()
    status, _size = _fetch(client, url)
    elapsed = time.perf_counter() - start
    _check(key, url, status)
    return elapsed


def measure_pages(cast, *, repeats=DEFAULT_REPEATS, warmup=DEFAULT_WARMUP):
    """{key: figures} for every page and both references, each median with its ratios to the references.

    The timed requests go round the pages (page 1, page 2, …, page 1, …) rather than page by page: a burst of
    work from another process then slows every page a little instead of one page a lot, and the ratios to the
    references, measured in the same rounds, stay fair.
    """
    clients = _clients(cast)
    urls = page_urls(cast)
    keys = [key for key, _label in (*PAGES, *REFERENCES)]
    for _ in range(warmup):
        for key in keys:
            url, who = urls[key]
            _check(key, url, _fetch(clients[who], url)[0])
    results = {key: _count_queries(clients[urls[key][1]], urls[key][0], key) for key in keys}
    seconds = {key: [] for key in keys}
    for _ in range(repeats):
        for key in keys:
            url, who = urls[key]
            seconds[key].append(_timed_fetch(clients[who], url, key))
    for key in keys:
        results[key].update({
            "repeats": repeats,
            "median_ms": statistics.median(seconds[key]) * 1000,
            "p95_ms": percentile(seconds[key], 0.95) * 1000,
            "min_ms": min(seconds[key]) * 1000,
        })
    admin_ms = results["admin_changelist"]["median_ms"]
    static_ms = results["static_file"]["median_ms"]
    for figures in results.values():
        figures["ratio_admin"] = figures["median_ms"] / admin_ms if admin_ms else None
        figures["ratio_static"] = figures["median_ms"] / static_ms if static_ms else None
    return results


def measure_scale(scale, cast, *, repeats, warmup):
    progress(f"measuring {len(PAGES)} pages and {len(REFERENCES)} references at {scale}x ({repeats} repeats)")
    return {"scale": scale, "years": scale_years(scale), "counts": data_counts(),
            "pages": measure_pages(cast, repeats=repeats, warmup=warmup)}
