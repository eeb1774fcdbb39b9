"""The ministry's overview across the 53 counties: the status board and the comparison tables.

Everything is computed over ``access.visible_agreements(user)``: a county sees its own agreements, the ministry
those it is party to, an admin all of them. Only agreements with a party in the role "Land" count (the
agreements MAIS NRW – kommunaler Träger); their county is the party in the role "kommunaler Träger".

Every function issues a fixed number of queries whatever the number of counties and years: the database
returns small per-agreement rows (or counts), and Python arranges them into the county × year or
county × column tables. The tables are `exports.Table` objects, so the page and the downloads show the same
rows.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.policy import access
from agreements.transfer.exports import Column, Link, Table

from .. import models as m

FORM_NOT_RECORDED = "none"
MAX_YEARS = 15
DEFAULT_YEAR_COUNT = 3
# Goal fingerprints shared by at least this share of the compared counties are "the common ones".
COMMON_SHARE = 0.5

AREA_SHORT = {
    m.Goal.Area.KDU: _("KdU"), m.Goal.Area.K1: _("K1"), m.Goal.Area.K2: _("K2"), m.Goal.Area.K3: _("K3"),
    m.Goal.Area.P16A: _("§ 16a"), m.Goal.Area.OTHER: _("Sonstiges"),
}
NO_AGREEMENT = _("keine Zielvereinbarung")


# Scope ------------------------------------------------------------------------------------------------------

def visible_counties(user):
    """The counties (Kreise, kreisfreie Städte) the user's overview has a row for.

    Admins and ministry staff: all of them, so the ministry sees where an agreement is missing. Everybody
    else: the counties they act for (directly or through their Jobcenter) and those party to an agreement
    they may see; a user without memberships: none.
    """
    counties = m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS)
    if not user.is_authenticated:
        return counties.none()
    if user.is_superuser:
        return counties
    ids = access.party_ids(user)
    if not ids:
        return counties.none()
    return counties.filter(
        # Uncorrelated: true for every row when the user acts for a ministry. Keeps this to one query.
        Q(Exists(m.Party.objects.filter(pk__in=ids, kind=m.Party.Kind.MINISTRY)))
        | Q(pk__in=ids)
        | Q(Exists(m.Party.objects.filter(parent=OuterRef("pk"), pk__in=ids)))
        | Q(Exists(m.AgreementParty.objects.filter(
            party=OuterRef("pk"), agreement__in=access.visible_agreements(user).values("pk"))))
    )


def filter_counties(counties, *, form="", region=""):
    if form == FORM_NOT_RECORDED:
        counties = counties.filter(jobcenter_form="")
    elif form:
        counties = counties.filter(jobcenter_form=form)
    if region:
        counties = counties.filter(region=region)
    return counties


def _ordered(counties):
    """By Regierungsbezirk (in the order of the choices, counties without one last), then by name."""
    order = {value: i for i, (value, _label) in enumerate(m.Party.Region.choices)}
    return sorted(counties, key=lambda c: (order.get(c.region, len(order)), c.name, c.pk))


def land_agreements(user):
    """Visible agreements with the Land as a party, annotated with their county's id (county_id)."""
    county = m.AgreementParty.objects.filter(
        agreement=OuterRef("pk"), role=m.AgreementParty.Role.KOMMUNALER_TRAEGER, party__kind__in=m.Party.COUNTY_KINDS,
    ).order_by("order", "pk")
    return access.visible_agreements(user).filter(
        Exists(m.AgreementParty.objects.filter(agreement=OuterRef("pk"), role=m.AgreementParty.Role.LAND))
    ).annotate(county_id=Subquery(county.values("party_id")[:1]))


def agreement_years(user):
    """Years with visible agreements of the Land, newest first (one query)."""
    return list(land_agreements(user).order_by("-year").values_list("year", flat=True).distinct())


def default_year_range(years):
    """The last DEFAULT_YEAR_COUNT years that have agreements, as (first, last); None without agreements."""
    if not years:
        return None
    recent = years[:DEFAULT_YEAR_COUNT]
    return min(recent), max(recent)


def _form_label(county):
    return county.jobcenter_form or str(_("nicht erfasst"))


def _region_label(county):
    return str(county.get_region_display()) if county.region else ""


# Status board ---------------------------------------------------------------------------------------------

@dataclass
class BoardRow:
    county: m.Party
    cells: list  # per year: the county's agreements of that year (usually one)


@dataclass
class Board:
    years: list
    groups: list  # [(region label, [BoardRow])]
    status_counts: Counter = field(default_factory=Counter)

    @property
    def rows(self):
        return [row for _label, rows in self.groups for row in rows]

    @property
    def agreement_count(self):
        return sum(self.status_counts.values())


def board(user, *, first_year, last_year, form="", region=""):
    """Counties × years: each cell the county's agreements of that year with status and signature progress.

    Two queries: the counties, the agreements (parties and signatures counted in the same statement).
    """
    counties = _ordered(filter_counties(visible_counties(user), form=form, region=region))
    years = list(range(first_year, last_year + 1))
    by_cell = defaultdict(list)
    status_counts = Counter()
    if counties:
        agreements = (
            land_agreements(user)
            .filter(year__gte=first_year, year__lte=last_year, county_id__in=[c.pk for c in counties])
            .annotate(
                party_count=Count("agreement_parties", distinct=True),
                signed_count=Count("signatures", distinct=True),
                last_signed=Max("signatures__date"),
            )
            .only("pk", "title", "year", "status", "period_start", "period_end")
            .order_by("year", "pk")
        )
        for agreement in agreements:
            by_cell[agreement.county_id, agreement.year].append(agreement)
            status_counts[agreement.status] += 1

    groups, current = [], None
    for county in counties:
        label = _region_label(county) or str(_("ohne Regierungsbezirk"))
        if current != label:
            groups.append((label, []))
            current = label
        groups[-1][1].append(BoardRow(county, [by_cell[county.pk, year] for year in years]))
    return Board(years=years, groups=groups, status_counts=status_counts)


def board_table(data):
    """The board in long form: one row per county and year (and per agreement, if there are several)."""
    table = Table("board", str(_("Statustafel")), [
        Column(_("Kreis / kreisfreie Stadt")), Column(_("Regierungsbezirk")), Column(_("Form des Jobcenters")),
        Column(_("Jahr"), "int"), Column(_("Zielvereinbarung")), Column(_("Status")),
        Column(_("Unterschriften"), "int"), Column(_("Vereinbarungspartner"), "int"),
        Column(_("letzte Unterschrift am"), "date"), Column(_("Laufzeit von"), "date"),
        Column(_("Laufzeit bis"), "date"),
    ])
    for row in data.rows:
        head = [row.county.name, _region_label(row.county), _form_label(row.county)]
        for year, agreements in zip(data.years, row.cells, strict=True):
            if not agreements:
                table.rows.append([*head, year, None, str(NO_AGREEMENT), None, None, None, None, None])
            for a in agreements:
                table.rows.append([
                    *head, year, Link(a.title, reverse("agreement_detail", args=[a.pk])),
                    str(a.get_status_display()), a.signed_count, a.party_count, a.last_signed,
                    a.period_start, a.period_end,
                ])
    return table


# Comparison -----------------------------------------------------------------------------------------------

@dataclass
class Scope:
    """The counties and agreements of one year that the comparison tables are computed over."""

    year: int
    counties: list
    agreements: dict  # county id -> [agreement], each annotated with its latest review

    @property
    def agreement_ids(self):
        return [a.pk for items in self.agreements.values() for a in items]

    def county_to_agreements(self):
        return {a.pk: county_id for county_id, items in self.agreements.items() for a in items}


def compare_scope(user, *, year, form="", region=""):
    """Two queries: the counties, the year's agreements with their latest review."""
    counties = _ordered(filter_counties(visible_counties(user), form=form, region=region))
    agreements = defaultdict(list)
    if counties:
        latest = m.Review.objects.filter(agreement=OuterRef("pk")).order_by("-date", "-pk")
        qs = (
            land_agreements(user)
            .filter(year=year, county_id__in=[c.pk for c in counties])
            .annotate(
                latest_review_id=Subquery(latest.values("pk")[:1]),
                latest_review_date=Subquery(latest.values("date")[:1]),
                latest_review_kind=Subquery(latest.values("kind")[:1]),
            )
            .only("pk", "title", "year", "status")
            .order_by("pk")
        )
        for agreement in qs:
            agreements[agreement.county_id].append(agreement)
    return Scope(year=year, counties=counties, agreements=dict(agreements))


def _county_cells(scope, county):
    """The first columns of every comparison row: the county (linked to its agreement), region, form."""
    items = scope.agreements.get(county.pk)
    name = Link(county.name, reverse("agreement_detail", args=[items[0].pk])) if items else county.name
    return [name, _region_label(county), _form_label(county)]


def _county_columns():
    return [Column(_("Kreis / kreisfreie Stadt")), Column(_("Regierungsbezirk")), Column(_("Form des Jobcenters"))]


def _footer(table, values):
    table.footer = [str(_("Insgesamt")), "", "", *values]


def _choice_label(choices, value):
    """The display label of a choice value; an unknown value (data from before a choice was removed) as is."""
    return dict(choices.choices).get(value, value)


def _position(choices, value):
    values = [v for v, _label in choices.choices]
    return values.index(value) if value in values else len(values)


@dataclass(frozen=True)
class Fingerprint:
    """What makes two counties' goals "the same goal": area, indicator, direction and level."""

    area: str
    indicator: str
    indicator_name: str
    direction: str
    level: str

    @property
    def short_label(self):
        return " · ".join(str(p) for p in (
            AREA_SHORT.get(self.area, self.area), self.indicator or _("ohne Kennzahl"),
            _choice_label(m.Goal.Direction, self.direction) if self.direction else _("ohne Tendenz"),
            _choice_label(m.Goal.Level, self.level),
        ))

    @property
    def label(self):
        indicator = f"{self.indicator} {self.indicator_name}" if self.indicator else _("ohne Kennzahl")
        direction = _choice_label(m.Goal.Direction, self.direction) if self.direction else _("ohne Tendenz")
        return _("%(area)s; Kennzahl: %(indicator)s; Tendenz: %(direction)s; %(level)s") % {
            "area": _choice_label(m.Goal.Area, self.area), "indicator": indicator, "direction": direction,
            "level": _choice_label(m.Goal.Level, self.level),
        }

    def sort_key(self):
        return (_position(m.Goal.Level, self.level), _position(m.Goal.Area, self.area), self.indicator,
                self.direction)


def goal_matrix(scope):
    """Counties × goal fingerprints (✓ where the county has such a goal), with a similarity figure.

    Similarity: the share (in %) of the common fingerprints (those at least half of the compared counties
    with an agreement have) that the county has too. One query.
    """
    county_of = scope.county_to_agreements()
    has = defaultdict(set)
    rows = (
        m.Goal.objects.filter(agreement_id__in=list(county_of))
        .values_list("agreement_id", "area", "indicator__code", "indicator__name", "direction", "level")
        # No ordering: the default one would add its columns to the DISTINCT.
        .order_by().distinct()
    )
    for agreement_id, area, code, name, direction, level in rows:
        has[county_of[agreement_id]].add(Fingerprint(area, code or "", name or "", direction, level))

    frequency = Counter(fp for fps in has.values() for fp in fps)
    fingerprints = sorted(frequency, key=lambda fp: (-frequency[fp], fp.sort_key()))
    with_agreement = sum(1 for c in scope.counties if c.pk in scope.agreements)
    common = {fp for fp, n in frequency.items() if n >= COMMON_SHARE * with_agreement}

    table = Table("goals", str(_("Ziele im Vergleich")), [
        *_county_columns(), Column(_("Zielmuster"), "int"), Column(_("Ähnlichkeit (%)"), "int"),
        *(Column(fp.short_label, "check", str(fp.label)) for fp in fingerprints),
    ])
    for county in scope.counties:
        if county.pk not in scope.agreements:
            table.rows.append([*_county_cells(scope, county), None, None, *([None] * len(fingerprints))])
            continue
        own = has[county.pk]
        similarity = round(100 * len(own & common) / len(common)) if common else None
        table.rows.append([
            *_county_cells(scope, county), len(own), similarity, *(fp in own for fp in fingerprints),
        ])
    _footer(table, ["", "", *(frequency[fp] for fp in fingerprints)])
    table.note = str(_(
        "Ähnlichkeit: Anteil der %(count)s Zielmuster, die mindestens die Hälfte der verglichenen Kreise und "
        "kreisfreien Städte mit Zielvereinbarung vereinbart hat, den der Kreis ebenfalls vereinbart hat. Ein "
        "Zielmuster ist die Kombination aus Handlungsfeld, Kennzahl, Tendenz und Zielebene."
    ) % {"count": len(common)})
    return table


def offer_uptake(scope, topics):
    """Counties × Themenschwerpunkte: how many of the county's agreements have offers in the topic. One query
    (plus the topics, which the caller loads once)."""
    county_of = scope.county_to_agreements()
    pairs = (
        m.SupportOffer.objects.filter(agreement_id__in=list(county_of))
        .values_list("agreement_id", "topic_id").order_by().distinct()
    )
    counts = Counter((county_of[agreement_id], topic_id) for agreement_id, topic_id in pairs)
    table = Table("offers", str(_("Unterstützungsangebote nach Themenschwerpunkt")), [
        *_county_columns(), *(Column(str(t), "int") for t in topics),
    ])
    for county in scope.counties:
        values = [counts[county.pk, t.pk] if county.pk in scope.agreements else None for t in topics]
        table.rows.append([*_county_cells(scope, county), *values])
    _footer(table, [sum(counts[c.pk, t.pk] for c in scope.counties) for t in topics])
    return table


def _county_counts(rows, key, value, county_of):
    """Counter {(county pk, value): number of rows}, where `county_of` maps each row's `key` to its county. One
    query."""
    counts = Counter()
    for row_key, row_value, n in rows.values_list(key, value).annotate(n=Count("pk")).order_by():
        counts[county_of[row_key], row_value] += n
    return counts


def _total_and_counts(counts, county, values):
    """[all of the county's rows, then its rows of each value] from _county_counts."""
    per_value = [counts[county.pk, value] for value in values]
    return [sum(per_value), *per_value]


def proposal_decisions(scope):
    """Per county: the proposals on its agreements of the year, by decision. One query."""
    county_of = scope.county_to_agreements()
    counts = _county_counts(m.Proposal.objects.filter(agreement_id__in=list(county_of)), "agreement_id",
                            "decision", county_of)
    decisions = m.Proposal.Decision
    order = [decisions.ADOPTED, decisions.PARTLY, decisions.REJECTED, decisions.OPEN]
    table = Table("proposals", str(_("Vorschläge und ihre Übernahme")), [
        *_county_columns(), Column(_("Vorschläge"), "int"),
        *(Column(decisions(d).label, "int") for d in order),
    ])
    totals = [0] * (len(order) + 1)
    for county in scope.counties:
        if county.pk not in scope.agreements:
            table.rows.append([*_county_cells(scope, county), *([None] * (len(order) + 1))])
            continue
        values = _total_and_counts(counts, county, order)
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.rows.append([*_county_cells(scope, county), *values])
    _footer(table, totals)
    return table


def goal_achievement(scope):
    """Per county: the assessments of its agreements' latest review, by status. One query."""
    review_county = {
        a.latest_review_id: county_id
        for county_id, items in scope.agreements.items() for a in items if a.latest_review_id
    }
    counts = _county_counts(m.Assessment.objects.filter(review_id__in=list(review_county)), "review_id", "status",
                            review_county)
    statuses = [value for value, _label in m.Assessment.Status.choices]
    table = Table("achievement", str(_("Zielerreichung laut letzter Nachhaltung")), [
        *_county_columns(), Column(_("letzte Nachhaltung am"), "date"), Column(_("Art der Nachhaltung")),
        Column(_("bewertete Ziele"), "int"), *(Column(m.Assessment.Status(s).label, "int") for s in statuses),
    ])
    totals = [0] * (len(statuses) + 1)
    for county in scope.counties:
        reviewed = [a for a in scope.agreements.get(county.pk, []) if a.latest_review_id]
        if not reviewed:
            table.rows.append([*_county_cells(scope, county), None, None, *([None] * (len(statuses) + 1))])
            continue
        latest = max(reviewed, key=lambda a: (a.latest_review_date, a.latest_review_id))
        values = _total_and_counts(counts, county, statuses)
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.rows.append([
            *_county_cells(scope, county), latest.latest_review_date,
            str(_choice_label(m.Review.Kind, latest.latest_review_kind)), *values,
        ])
    _footer(table, ["", "", *totals])
    return table


def comparison_tables(scope, only=None):
    """The comparison tables by name; `only` limits them to one (for a download)."""
    builders = {
        "goals": goal_matrix,
        "offers": lambda s: offer_uptake(s, list(m.Topic.objects.order_by("number"))),
        "proposals": proposal_decisions,
        "achievement": goal_achievement,
    }
    return {name: build(scope) for name, build in builders.items() if only in (None, name)}


# Agreement list -------------------------------------------------------------------------------------------

def filter_agreement_list(qs, data):
    """The agreement list's filters (AgreementFilterForm's cleaned data), as the list applies them."""
    if data.get("q"):
        qs = qs.filter(title__icontains=data["q"])
    if data.get("year"):
        qs = qs.filter(year=data["year"])
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("party"):
        qs = qs.filter(agreement_parties__party=data["party"])
    if data.get("county"):
        qs = qs.filter(
            Q(agreement_parties__party=data["county"]) | Q(agreement_parties__party__parent=data["county"])
        ).distinct()
    return qs


def agreement_list_table(user, data):
    """The agreement list (all pages) as a table for download. Two queries: agreements, their parties."""
    qs = filter_agreement_list(access.visible_agreements(user), data or {})
    qs = (
        qs.annotate(signature_count=Count("signatures", distinct=True))
        .prefetch_related(Prefetch("agreement_parties", queryset=m.AgreementParty.objects.select_related("party")))
        .order_by("-year", "title", "pk")
    )
    table = Table("agreements", str(_("Zielvereinbarungen")), [
        Column(_("Jahr"), "int"), Column(_("Titel")), Column(_("Vereinbarungspartner")), Column(_("Status")),
        Column(_("Unterschriften"), "int"), Column(_("Anzahl Vereinbarungspartner"), "int"),
        Column(_("Laufzeit von"), "date"), Column(_("Laufzeit bis"), "date"), Column(_("zuletzt geändert am"), "date"),
    ])
    for a in qs:
        parties = list(a.agreement_parties.all())
        table.rows.append([
            a.year, Link(a.title, reverse("agreement_detail", args=[a.pk])),
            ", ".join(ap.party.short_name or ap.party.name for ap in parties), str(a.get_status_display()),
            a.signature_count, len(parties), a.period_start, a.period_end, a.modified,
        ])
    return table

