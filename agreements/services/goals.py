"""Goals (Ziele) and support offers (Unterstützungsangebote) of an agreement.

Reordering goes through services.agreements.reorder; the views pass the queryset of one group (a goal level,
an offer topic) so that "up" and "down" move an entry within the group the user sees.
"""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.services.base import pen_agreement, save_locked

from .. import models as m
from ..models.agreements import corridor_breach, corridor_breach_message

GOAL_FIELDS = (
    "kind", "level", "area", "title", "text", "direction", "indicator", "reference_value", "corridor_low",
    "corridor_high", "target_value", "unit", "corridor_exception_reason",
)
GOAL_NUMBER_FIELDS = ("reference_value", "corridor_low", "corridor_high", "target_value")
OFFER_FIELDS = ("topic", "title", "text", "provider", "coordinated_with", "status")
# Optional text fields are stored as "" rather than NULL.
TEXT_FIELDS = ("text", "direction", "unit", "corridor_exception_reason")


def _check_owner(obj, agreement):
    if obj.agreement_id != agreement.pk:
        raise DomainError(_("Der Eintrag gehört nicht zu dieser Zielvereinbarung."))


def _next_order(queryset):
    return (queryset.aggregate(top=Max("order"))["top"] or 0) + 1


def _assign(obj, data, fields):
    for field in fields:
        value = data.get(field)
        setattr(obj, field, (value or "") if field in TEXT_FIELDS else value)


def check_goal(data):
    """The goal rules the database also enforces, as German messages instead of an IntegrityError."""
    numbers = [
        str(m.Goal._meta.get_field(f).verbose_name) for f in GOAL_NUMBER_FIELDS if data.get(f) is not None
    ]
    if data.get("kind") == m.Goal.Kind.QUALITATIVE:
        if numbers:
            raise DomainError(
                _("Ein qualitatives Ziel (Leitziel) enthält keine Zahlenwerte. Bitte leeren Sie: %(fields)s.")
                % {"fields": ", ".join(numbers)}
            )
        if not data.get("direction"):
            raise DomainError(_("Ein qualitatives Ziel braucht eine Tendenz."))
    if data.get("kind") == m.Goal.Kind.QUANTITATIVE and not data.get("indicator"):
        raise DomainError(_("Ein quantitatives Ziel braucht eine Kennzahl."))
    low, high = data.get("corridor_low"), data.get("corridor_high")
    if low is not None and high is not None and low > high:
        raise DomainError(_("Die untere Grenze des Korridors liegt über der oberen."))
    target = data.get("target_value")
    if corridor_breach(target, low, high) is not None and not corridor_exception_reason(data):
        raise DomainError(
            _("%(breach)s Ein Zielwert außerhalb des Korridors wird nur mit einer Begründung gespeichert.")
            % {"breach": corridor_breach_message(target, low, high, data.get("unit") or "")}
        )


def corridor_exception_reason(data):
    """The reason stored with the goal's values: the one given for a target value outside its corridor (the
    confirmation), none for a value inside it, whatever was sent (a reason left from before goes)."""
    if corridor_breach(data.get("target_value"), data.get("corridor_low"), data.get("corridor_high")) is None:
        return ""
    return (data.get("corridor_exception_reason") or "").strip()


def save_goal(*, user, agreement, data, goal=None, lock_version=None):
    """Create a goal (at the end of its level) or change one; refused when frozen or saved by someone else, and
    for a target value outside its corridor without a reason (data["corridor_exception_reason"])."""
    with transaction.atomic():
        pen_agreement(user, agreement)
        check_goal(data)
        level = data.get("level") or m.Goal.Level.LOCAL
        data = {**data, "level": level, "corridor_exception_reason": corridor_exception_reason(data)}
        if goal is None:
            goal = m.Goal(agreement=agreement, order=_next_order(agreement.goals.filter(level=level)))
            _assign(goal, data, GOAL_FIELDS)
            goal.save()
            return goal
        _check_owner(goal, agreement)
        fields = GOAL_FIELDS
        if level != goal.level:
            # Goals are ordered within their level: a goal changing level goes to the end of the new one.
            goal.order = _next_order(agreement.goals.filter(level=level).exclude(pk=goal.pk))
            fields = (*GOAL_FIELDS, "order")
        _assign(goal, data, GOAL_FIELDS)
        return save_locked(goal, lock_version, fields, submitted=data)


def delete_goal(*, user, goal):
    with transaction.atomic():
        pen_agreement(user, goal.agreement)
        if goal.assessments.exists():
            raise DomainError(
                _("Das Ziel wurde bereits in einer Zielnachhaltung bewertet und kann nicht gelöscht werden.")
            )
        goal.delete()


def check_offer(data):
    provider, partner = data.get("provider"), data.get("coordinated_with")
    if provider is not None and partner is not None and provider.pk == partner.pk:
        raise DomainError(_("Ein Angebot kann nicht mit seinem eigenen Anbieter abgestimmt sein."))


def save_offer(*, user, agreement, data, offer=None, lock_version=None):
    """Create a support offer (at the end of its topic) or change one."""
    with transaction.atomic():
        pen_agreement(user, agreement)
        check_offer(data)
        if offer is None:
            offer = m.SupportOffer(
                agreement=agreement, order=_next_order(agreement.offers.filter(topic=data.get("topic")))
            )
            _assign(offer, data, OFFER_FIELDS)
            offer.save()
            return offer
        _check_owner(offer, agreement)
        if data.get("topic") is not None and data["topic"].pk != offer.topic_id:
            # A new topic means a new group: put the offer at its end.
            offer.order = _next_order(agreement.offers.filter(topic=data["topic"]).exclude(pk=offer.pk))
            fields = (*OFFER_FIELDS, "order")
        else:
            fields = OFFER_FIELDS
        _assign(offer, data, OFFER_FIELDS)
        return save_locked(offer, lock_version, fields, submitted=data)


def delete_offer(*, user, offer):
    with transaction.atomic():
        pen_agreement(user, offer.agreement)
        offer.delete()
