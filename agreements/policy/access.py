"""Who may see and change what. The only place that decides; views and services call it.

Rules:
- Users act for the parties they are members of (editor or reader).
- An agreement is visible to members of any of its parties, and to superusers (read only).
- Writes need an editor membership in one of the agreement's parties.
- Outsiders get 404 (existence is not revealed), readers 403 on writes.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from agreements import models as m


def _membership_party_ids(user, editor_only=False):
    if not user.is_authenticated:
        return set()
    cache_attr = "_zs_editor_party_ids" if editor_only else "_zs_party_ids"
    cached = getattr(user, cache_attr, None)
    if cached is None:
        memberships = m.Membership.objects.filter(user=user)
        if editor_only:
            memberships = memberships.filter(role=m.Membership.Role.EDITOR)
        cached = set(memberships.values_list("party_id", flat=True))
        setattr(user, cache_attr, cached)
    return cached


def party_ids(user):
    """Ids of the parties the user acts for, in any role."""
    return _membership_party_ids(user)


def editor_party_ids(user):
    return _membership_party_ids(user, editor_only=True)


def visible_agreements(user):
    qs = m.Agreement.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    ids = party_ids(user)
    if not ids:
        return qs.none()
    return qs.filter(
        Exists(m.AgreementParty.objects.filter(agreement=OuterRef("pk"), party_id__in=ids))
    )


def agreement_party_ids(agreement):
    cached = getattr(agreement, "_zs_party_ids", None)
    if cached is None:
        # The parties themselves come along in the same query (the short title in the breadcrumb needs them).
        cached = [party.pk for party in agreement.ordered_parties()]
        agreement._zs_party_ids = cached
    return cached


def can_read_agreement(user, agreement):
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(party_ids(user) & set(agreement_party_ids(agreement)))


def acting_parties(user, agreement):
    """The agreement's parties the user may write for (editor membership), in the agreement's order."""
    editors = editor_party_ids(user)
    return [pid for pid in agreement_party_ids(agreement) if pid in editors]


def can_edit_agreement(user, agreement):
    return bool(acting_parties(user, agreement))


def acting_party_id(user, agreement):
    """The party a write is recorded for; raises PermissionDenied when the user may not write."""
    parties = acting_parties(user, agreement)
    if not parties:
        raise PermissionDenied(_("Sie haben für diese Zielvereinbarung nur Leserechte."))
    return parties[0]


def agreement_for(user, pk, *, write=False, queryset=None):
    """The agreement with this pk, or 404 for an outsider, or 403 for a reader asking to write."""
    qs = queryset if queryset is not None else m.Agreement.objects.all()
    agreement = qs.filter(pk=pk).first()
    if agreement is None or not can_read_agreement(user, agreement):
        raise Http404(_("Keine Zielvereinbarung gefunden."))
    if write:
        acting_party_id(user, agreement)
    return agreement


def _child_for(model, user, pk, *, write, agreement_pk=None, related=()):
    qs = model.objects.select_related("agreement", *related)
    obj = qs.filter(pk=pk).first()
    if obj is None or (agreement_pk is not None and obj.agreement_id != int(agreement_pk)):
        raise Http404(_("Nicht gefunden."))
    if not can_read_agreement(user, obj.agreement):
        raise Http404(_("Nicht gefunden."))
    if write:
        acting_party_id(user, obj.agreement)
    return obj


def goal_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.Goal, user, pk, write=write, agreement_pk=agreement_pk, related=("indicator",))


def section_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.AgreementSection, user, pk, write=write, agreement_pk=agreement_pk)


def offer_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.SupportOffer, user, pk, write=write, agreement_pk=agreement_pk, related=("topic",))


def version_for(user, pk, *, agreement_pk=None):
    # Versions are immutable: there is no write access to ask for.
    return _child_for(m.AgreementVersion, user, pk, write=False, agreement_pk=agreement_pk)


def proposal_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.Proposal, user, pk, write=write, agreement_pk=agreement_pk, related=("party",))


DECISION_REFUSED = _("Über einen Vorschlag entscheidet die Stelle, die am Zug ist, wenn sie ihn nicht selbst "
                     "eingebracht hat.")


def can_decide_proposal(user, proposal):
    """The party "am Zug" decides, since it holds the text the proposal would change: an editor of the pen holder,
    when that is not the proposing party, while the text is open; decisions freeze with it (abgestimmt and later)."""
    agreement = proposal.agreement
    pen = agreement.pen_holder_id()
    return not agreement.is_frozen and pen != proposal.party_id and pen in acting_parties(user, agreement)


def statement_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.Statement, user, pk, write=write, agreement_pk=agreement_pk, related=("party",))


def step_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.ProcedureStep, user, pk, write=write, agreement_pk=agreement_pk)


def letter_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.Letter, user, pk, write=write, agreement_pk=agreement_pk)


def deadline_for(user, pk, *, write=False, agreement_pk=None):
    return _child_for(m.Deadline, user, pk, write=write, agreement_pk=agreement_pk, related=("owner",))


def document_for(user, pk):
    """A document is readable if it belongs to a readable agreement (directly or as a letter/statement file)."""
    document = m.Document.objects.filter(pk=pk).first()
    if document is None or not can_read_document(user, document):
        raise Http404(_("Kein Dokument gefunden."))
    return document


def can_read_document(user, document):
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    agreement_ids = set()
    if document.agreement_id:
        agreement_ids.add(document.agreement_id)
    agreement_ids.update(document.letters.exclude(agreement=None).values_list("agreement_id", flat=True))
    agreement_ids.update(document.statements.values_list("agreement_id", flat=True))
    if not agreement_ids:
        return False
    return visible_agreements(user).filter(pk__in=agreement_ids).exists()


def can_read_audit_log(user):
    """The audit log (logins and every write) is for superusers only."""
    return user.is_authenticated and user.is_superuser


def can_use_admin(user):
    """Django's own rule for its admin site: an active staff member."""
    return user.is_authenticated and user.is_active and user.is_staff
