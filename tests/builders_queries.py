"""Counting a page's queries: every page issues a fixed number of queries, whatever the amount of data, and the
tests assert it at two sizes. Shared by the tab tests (statements, timeline, history, proposals, goals, offers)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

# What the committees' part of the start page adds to the page's queries: the committees (ids, then the records),
# the number of upcoming meetings, the upcoming and the past ones, their records, agenda items, consultations with
# the papers and the papers' Anlagen, the visit (read, write) and what is new (papers, results).
COMMITTEE_PART_QUERIES = 13


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
