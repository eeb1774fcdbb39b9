"""OParl list pages: filters (created/modified since/until), `limit`, `page`, and the list envelope."""

import math
from urllib.parse import urlencode

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# OParl 1.1, 2.7 "Filter": inclusive bounds on the objects' own timestamps.
DATE_FILTERS = {
    "created_since": "created__gte",
    "created_until": "created__lte",
    "modified_since": "modified__gte",
    "modified_until": "modified__lte",
}
KEPT_PARAMETERS = (*DATE_FILTERS, "limit")


class ApiError(Exception):
    """Answered as a JSON error with this status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _datetime(name, value):
    # An unencoded "+01:00" in a query string arrives as " 01:00": take it back rather than refuse it.
    candidate = value.strip().replace(" ", "+")
    try:
        parsed = parse_datetime(candidate)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ApiError(400, _(
            "%(name)s muss ein Zeitpunkt nach ISO 8601 mit Zeitzone sein, z. B. 2012-05-21T15:00:00+02:00."
        ) % {"name": name})
    return parsed


def _positive_int(name, value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ApiError(400, _("%(name)s muss eine positive ganze Zahl sein.") % {"name": name})
    return number


def filter_queryset(request, queryset):
    lookups = {
        lookup: _datetime(name, request.GET[name]) for name, lookup in DATE_FILTERS.items() if name in request.GET
    }
    return queryset.filter(**lookups)


class Page:
    def __init__(self, request, queryset):
        self.request = request
        limit = request.GET.get("limit")
        self.limit = min(_positive_int("limit", limit), MAX_LIMIT) if limit is not None else DEFAULT_LIMIT
        page = request.GET.get("page")
        self.number = _positive_int("page", page) if page is not None else 1
        queryset = filter_queryset(request, queryset)
        self.total = queryset.count()
        self.total_pages = max(1, math.ceil(self.total / self.limit))
        if self.number > self.total_pages:
            raise ApiError(404, _("Diese Seite gibt es nicht; die Liste hat %(pages)s Seite(n).")
                           % {"pages": self.total_pages})
        start = (self.number - 1) * self.limit
        # Evaluated here so that the caller's prefetches run once for the page.
        self.objects = list(queryset[start:start + self.limit]) if self.total else []

    def _link(self, number):
        params = {name: self.request.GET[name] for name in KEPT_PARAMETERS if name in self.request.GET}
        params["page"] = number
        return f"{self.request.build_absolute_uri(self.request.path)}?{urlencode(params)}"

    def envelope(self, data):
        links = {"first": self._link(1)}
        if self.number > 1:
            links["prev"] = self._link(self.number - 1)
        if self.number < self.total_pages:
            links["next"] = self._link(self.number + 1)
        links["last"] = self._link(self.total_pages)
        links["self"] = self._link(self.number)
        return {
            "data": data,
            "pagination": {
                "totalElements": self.total,
                "elementsPerPage": self.limit,
                "currentPage": self.number,
                "totalPages": self.total_pages,
            },
            "links": links,
        }
