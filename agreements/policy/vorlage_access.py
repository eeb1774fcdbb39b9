"""Who may see and change which Vorlage. The only place that decides; views and services call it.

Rules (see agreements/policy/access.py for the users' party memberships):
- A Vorlage belongs to the party of its department (Fachbereich). Editors of that party write it, readers read it.
- Released means: released once (released_at set) and now freigegeben, in Beratung, erledigt or zurückgezogen.
  A draft withdrawn before its release was never released and stays internal.
- Released public Vorlagen are readable by everybody, without login (§ 33 KrO NRW: public is the rule).
- Released non-public Vorlagen: members of the authoring party, current members of a committee in the
  Beratungsfolge, and superusers.
- Drafts: members of the authoring party and superusers.
- Superusers read everything and write nothing: they do not act for a party.
- Whoever may not read gets 404 (existence is not revealed); a reader asking to write gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements import models as m
from agreements.policy import access

RELEASED = Q(status__in=m.Vorlage.FROZEN_STATUSES, released_at__isnull=False)
PUBLIC = RELEASED & Q(public=True)


def current_memberships(today=None):
    """The committee memberships that hold today: begun (or without a start) and not ended."""
    today = today or timezone.localdate()
    return (m.CommitteeMembership.objects.filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today)))


def committee_ids(user):
    """Ids of the committees the user is a current member of (cached on the user for the request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_zs_committee_ids", None)
    if cached is None:
        cached = set(current_memberships().filter(user=user).values_list("committee_id", flat=True))
        user._zs_committee_ids = cached
    return cached


def was_released(vorlage):
    return vorlage.status in m.Vorlage.FROZEN_STATUSES and vorlage.released_at is not None


def is_public(vorlage):
    """Readable by everybody, without login."""
    return vorlage.public and was_released(vorlage)


def visible_vorlagen(user):
    qs = m.Vorlage.objects.all()
    if not user.is_authenticated:
        return qs.filter(PUBLIC)
    if user.is_superuser:
        return qs
    condition = PUBLIC
    parties = access.party_ids(user)
    if parties:
        condition |= Q(department__party_id__in=parties)
    committees = committee_ids(user)
    if committees:
        condition |= RELEASED & Exists(
            m.Consultation.objects.filter(paper=OuterRef("pk"), committee_id__in=committees)
        )
    return qs.filter(condition)


def _party_id(vorlage):
    return vorlage.department.party_id


def _in_beratungsfolge(user, vorlage):
    committees = committee_ids(user)
    if not committees:
        return False
    prefetched = getattr(vorlage, "_prefetched_objects_cache", {}).get("consultations")
    if prefetched is not None:
        return any(c.committee_id in committees for c in prefetched)
    return m.Consultation.objects.filter(paper=vorlage, committee_id__in=committees).exists()


def can_read_vorlage(user, vorlage):
    if is_public(vorlage):
        return True
    if not user.is_authenticated:
        return False
    if user.is_superuser or _party_id(vorlage) in access.party_ids(user):
        return True
    return was_released(vorlage) and _in_beratungsfolge(user, vorlage)


def can_write_vorlage(user, vorlage):
    """May act on the Vorlage at all (lifecycle, results): an editor of the authoring party."""
    return _party_id(vorlage) in access.editor_party_ids(user)


def can_edit_vorlage(user, vorlage):
    """May change the content: a writer, and the Vorlage is still a draft."""
    return vorlage.status == m.Vorlage.Status.DRAFT and can_write_vorlage(user, vorlage)


def require_writer(user, department):
    """PermissionDenied unless the user is an editor of the department's party."""
    if department.party_id not in access.editor_party_ids(user):
        raise PermissionDenied(_("Vorlagen dieses Fachbereichs können Sie nur lesen."))


def writable_departments(user):
    """The departments the user may write Vorlagen for: those of the parties they are an editor of."""
    return m.Department.objects.filter(party_id__in=access.editor_party_ids(user)).select_related("party")


def can_create_vorlage(user):
    return bool(writing_party_ids(user))


def writing_party_ids(user):
    """Ids of the parties the user writes Vorlagen for: parties they are an editor of that have a department
    (Vorlagen are numbered and signed per department). Cached on the user for the request."""
    cached = getattr(user, "_zs_writing_party_ids", None)
    if cached is None:
        editors = access.editor_party_ids(user)
        cached = set(
            m.Department.objects.filter(party_id__in=editors).values_list("party_id", flat=True).distinct()
        ) if editors else set()
        user._zs_writing_party_ids = cached
    return cached


def can_report_on_agreement(user, agreement):
    """May write a committee paper about the agreement, the rule of create_vorlage_from_agreement: the user
    writes Vorlagen for a party to the agreement (which of its departments is chosen on the form). A withdrawn
    agreement goes to no committee."""
    if agreement.status == m.Agreement.Status.WITHDRAWN:
        return False
    return bool(writing_party_ids(user).intersection(access.acting_parties(user, agreement)))


def vorlage_for(user, pk_or_reference, *, write=False, queryset=None):
    """The Vorlage by pk or by its reference ("50/015/2012"): 404 if the user may not read it, 403 if they
    asked to write and may only read."""
    qs = (queryset if queryset is not None else m.Vorlage.objects.all()).select_related("department")
    key = str(pk_or_reference)
    vorlage = qs.filter(pk=int(key)).first() if key.isdigit() else qs.filter(reference=key).first()
    if vorlage is None or not can_read_vorlage(user, vorlage):
        raise Http404(_("Keine Vorlage gefunden."))
    if write and not can_write_vorlage(user, vorlage):
        raise PermissionDenied(_("Sie haben für diese Vorlage nur Leserechte."))
    return vorlage


def _child_for(model, user, vorlage_pk, pk, *, write, related=()):
    vorlage = vorlage_for(user, vorlage_pk, write=write)
    child = model.objects.select_related(*related).filter(pk=pk, **{_vorlage_field(model): vorlage}).first()
    if child is None:
        raise Http404(_("Nicht gefunden."))
    setattr(child, _vorlage_field(model), vorlage)
    return child


def _vorlage_field(model):
    return "paper" if model is m.Consultation else "vorlage"


def section_for(user, vorlage_pk, pk, *, write=True):
    return _child_for(m.VorlageSection, user, vorlage_pk, pk, write=write)


def consultation_for(user, vorlage_pk, pk, *, write=True):
    return _child_for(m.Consultation, user, vorlage_pk, pk, write=write, related=("committee", "meeting"))


def anlage_for(user, vorlage_pk, pk, *, write=False):
    return _child_for(m.VorlageAnlage, user, vorlage_pk, pk, write=write, related=("document",))
