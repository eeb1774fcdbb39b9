"""Counting a page's queries: every page issues a fixed number of queries, whatever the amount of data, and the
tests assert it at two sizes. Shared by the tab tests (statements, timeline, history, proposals, goals, offers)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url):
    """The number of queries the page at `url` issues; the page must answer 200."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def assert_fixed_queries(client, url, grow, *, most, few=2, many=25):
    """The page issues as many queries with `few` records as with `many`, and no more than `most`.
    `grow(total)` brings the records the page lists up to `total`."""
    grow(few)
    small = count_queries(client, url)
    grow(many)
    assert count_queries(client, url) == small, f"{small} queries with {few} records, more with {many}"
    assert small <= most, f"{small} queries, at most {most} expected"
