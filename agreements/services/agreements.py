from django.db import transaction
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.policy import access
from agreements.services.base import move_one_place, pen_agreement, record_step, save_locked

from .. import models as m

ROLE_FIELDS = (
    ("land", m.AgreementParty.Role.LAND),
    ("kommunaler_traeger", m.AgreementParty.Role.KOMMUNALER_TRAEGER),
    ("jobcenter", m.AgreementParty.Role.JOBCENTER),
    ("regionaldirektion", m.AgreementParty.Role.REGIONALDIREKTION),
)

AGREEMENT_FIELDS = (
    "title", "year", "period_start", "period_end", "preamble", "legal_basis_note", "predecessor",
)
TEXT_FIELDS = ("preamble", "legal_basis_note")


def _assign(agreement, data):
    for field in AGREEMENT_FIELDS:
        value = data.get(field)
        setattr(agreement, field, (value or "") if field in TEXT_FIELDS else value)


def _parties_by_role(data):
    chosen = [(role, data.get(field)) for field, role in ROLE_FIELDS if data.get(field)]
    party_ids = [party.pk for _, party in chosen]
    if len(chosen) < 2:
        raise DomainError(_("Eine Zielvereinbarung braucht mindestens zwei Vereinbarungspartner."))
    if len(set(party_ids)) != len(party_ids):
        raise DomainError(_("Eine Stelle kann nur eine Rolle in der Vereinbarung haben."))
    return chosen


def create_agreement(*, user, data):
    """Create a draft agreement with its parties; the user's own party must be one of them."""
    chosen = _parties_by_role(data)
    editor_ids = access.editor_party_ids(user)
    if not editor_ids & {party.pk for _, party in chosen}:
        raise DomainError(
            _("Ihre eigene Stelle muss Vereinbarungspartner sein, sonst könnten Sie die Vereinbarung nicht sehen.")
        )
    with transaction.atomic():
        # The author drafts: the pen is with the user's party (the first of them, if the user edits for several).
        pen = next(party for _, party in chosen if party.pk in editor_ids)
        agreement = m.Agreement(created_by=user, status=m.Agreement.Status.DRAFT, pen_party=pen)
        _assign(agreement, data)
        agreement.save()
        agreement.legal_bases.set(data.get("legal_bases") or [])
        for order, (role, party) in enumerate(chosen):
            m.AgreementParty.objects.create(agreement=agreement, party=party, role=role, order=order)
        record_step(agreement, kind=m.ProcedureStep.Kind.STATUS, user=user, action="agreement.created",
                    data={"user": user.get_full_name() or user.get_username()})
    return agreement


def update_agreement(*, user, agreement, data, lock_version):
    """Change the agreement's header and parties; refused when frozen or when someone saved in between."""
    with transaction.atomic():
        pen_agreement(user, agreement)
        chosen = _parties_by_role(data)
        own = access.acting_parties(user, agreement)
        if not set(own) & {party.pk for _, party in chosen}:
            raise DomainError(_("Sie können Ihre eigene Stelle nicht aus der Vereinbarung entfernen."))
        if data.get("predecessor") and data["predecessor"].pk == agreement.pk:
            raise DomainError(_("Eine Vereinbarung kann nicht ihr eigener Vorgänger sein."))
        _assign(agreement, data)
        save_locked(agreement, lock_version, AGREEMENT_FIELDS, submitted=data)
        agreement.legal_bases.set(data.get("legal_bases") or [])
        existing = {ap.party_id: ap for ap in agreement.agreement_parties.all()}
        keep = set()
        for order, (role, party) in enumerate(chosen):
            ap = existing.get(party.pk)
            if ap is None:
                m.AgreementParty.objects.create(agreement=agreement, party=party, role=role, order=order)
            elif (ap.role, ap.order) != (role, order):
                ap.role, ap.order = role, order
                ap.save(update_fields=["role", "order"])
            keep.add(party.pk)
        m.AgreementParty.objects.filter(agreement=agreement).exclude(party_id__in=keep).delete()
        agreement._zs_party_ids = agreement._zs_parties = None
    return agreement


def save_section(*, user, agreement, data, section=None, lock_version=None):
    with transaction.atomic():
        pen_agreement(user, agreement)
        if section is None:
            order = data.get("order")
            if order is None:
                order = (agreement.sections.order_by("-order").values_list("order", flat=True).first() or 0) + 1
            return m.AgreementSection.objects.create(
                agreement=agreement, heading=data["heading"], text=data.get("text") or "", order=order
            )
        section.heading = data["heading"]
        section.text = data.get("text") or ""
        return save_locked(section, lock_version, ["heading", "text"], submitted=data)


def delete_section(*, user, section):
    with transaction.atomic():
        pen_agreement(user, section.agreement)
        section.delete()


def reorder(*, user, agreement, queryset, obj, direction):
    """Move a goal, offer or section one place up or down; orders are renumbered densely."""
    with transaction.atomic():
        pen_agreement(user, agreement)
        move_one_place(list(queryset.select_for_update()), obj, direction)
