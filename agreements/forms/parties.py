"""Which parties and people a form on one agreement offers, and which one it preselects.

NRW has some 110 parties (53 counties and cities, their Jobcenters, the ministry, the Regionaldirektion, the
associations); a form on the Kreis Mettmann's agreement offers the agreement's own parties first, then the
Jobcenters of those parties and the parties that take part everywhere (ministry, Regionaldirektion, associations),
never the other 52 counties and their Jobcenters. The Regionaldirektion stays: it coordinates offers and writes
letters, without being a party of the agreement."""

from django.db.models import Case, Q, QuerySet, Value, When

from agreements.policy import access

from .. import models as m


def party_choices(agreement, keep=()):
    """The parties a form on `agreement` offers, the agreement's own first.

    `keep` are the parties the record already names: they stay selectable even when inactive or from elsewhere,
    so that editing an older record does not fail on them."""
    own = access.agreement_party_ids(agreement)
    if not isinstance(keep, QuerySet):  # a queryset stays a subquery
        keep = [pk for pk in keep if pk]
    local = Q(pk__in=own) | Q(parent_id__in=own)
    everywhere = ~Q(kind__in=[*m.Party.COUNTY_KINDS, m.Party.Kind.JOBCENTER])
    return m.Party.objects.filter(
        Q(pk__in=own) | (Q(is_active=True) & (local | everywhere)) | Q(pk__in=keep)
    ).order_by(Case(When(pk__in=own, then=Value(0)), default=Value(1)), "name")


def own_party(user, agreement):
    """The user's party among the agreement's parties (the one a write is recorded for), or None."""
    parties = access.acting_parties(user, agreement)
    return parties[0] if parties else None


def other_party(agreement, party_id):
    """The agreement's only party besides `party_id` (the ministry for the county and vice versa), or None
    when there are several (a trilateral agreement) or `party_id` is not one of them."""
    own = access.agreement_party_ids(agreement)
    others = [pk for pk in own if pk != party_id]
    return others[0] if party_id in own and len(others) == 1 else None


def people_of(parties, keep=None):
    """The people of these parties (ids or a queryset; and the person the record already names), for a select."""
    if isinstance(parties, QuerySet):
        query = Q(party__in=parties.order_by().values("pk"))
    else:
        query = Q(party_id__in=[pk for pk in parties if pk])
    if keep:
        query |= Q(pk=keep)
    return m.Person.objects.filter(query).select_related("party").order_by("party__name", "family_name", "given_name")
