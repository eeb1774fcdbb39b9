"""When an action is open, and why not: one table per lifecycle, one answer for services and pages.

Each table names its actions with the statuses they may start from, the status they lead to, and the guards that
must hold besides (a signature already given, a party that still has to sign). The permission rule is the
lifecycle's: a function that raises PermissionDenied (403) when the user may not act on the object at all.

`refusal(user, obj, action)` answers "allowed (None), or why not" with the sentence the user reads; services call
`enter()` inside their transaction (permission, row lock, then state and guards on the locked row) and pages call
`available()` to show exactly the buttons that would succeed, and `refusal()` to explain one that would not.
What the content must satisfy when the action runs (goals to agree on, a Beratungsfolge to release, every result
recorded) is checked by the service with the data it is given, and reported in the form.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agreements.infra.errors import DomainError
from agreements.policy import access, vorlage_access

from .. import models as m

NOT_NOW = _("Diese Aktion ist im Status „%(status)s“ nicht möglich.")


@dataclass(frozen=True)
class Transition:
    sources: tuple
    target: str | None = None  # None: the action does not change the status (editing, a Nachtrag, a result)
    guards: tuple = ()  # (user, obj) → the reason it is refused (a Refusal when it links somewhere), or None
    # The reason when the status does not allow it; %(status)s is the status. A dict gives each status its own
    # reason (a paper not yet released is refused for another reason than a closed one); NOT_NOW for the others.
    not_now: object = NOT_NOW


@dataclass(frozen=True)
class Refusal:
    reason: str
    forbidden: bool = False  # not allowed at all (403), rather than not now
    # Where the user does what the refusal asks for (the checklist of a follow-on), and the link's words.
    link: str = ""
    link_text: str = ""

    def __str__(self):
        return self.reason

    def raise_it(self):
        raise (PermissionDenied if self.forbidden else DomainError)(self.reason)


@dataclass(frozen=True)
class Lifecycle:
    transitions: dict
    permission: object  # (user, obj) → raises PermissionDenied when the user may not act on obj
    lock: object  # obj → the same row, re-read with a row lock (PostgreSQL)

    def __getitem__(self, action):
        return self.transitions[action]

    def state_refusal(self, user, obj, action):
        """Why `action` is not open now for a user who may act on `obj`; None when it is."""
        transition = self.transitions[action]
        if obj.status not in transition.sources:
            not_now = transition.not_now
            if isinstance(not_now, dict):
                not_now = not_now.get(obj.status, NOT_NOW)
            return Refusal(str(not_now % {"status": obj.get_status_display()}))
        for guard in transition.guards:
            reason = guard(user, obj)
            if reason:
                return reason if isinstance(reason, Refusal) else Refusal(str(reason))
        return None

    def permission_refusal(self, user, obj):
        try:
            self.permission(user, obj)
        except PermissionDenied as denied:
            return Refusal(str(denied), forbidden=True)
        return None

    def refusal(self, user, obj, action):
        """Allowed (None), or why not (a Refusal with the German sentence, forbidden for a 403)."""
        return self.permission_refusal(user, obj) or self.state_refusal(user, obj, action)

    def available(self, user, obj):
        """The actions this user may start now, in table order; the page shows exactly these."""
        if self.permission_refusal(user, obj):
            return []
        return [action for action in self.transitions if self.state_refusal(user, obj, action) is None]

    def require_state(self, obj, action, user=None):
        if refusal := self.state_refusal(user, obj, action):
            refusal.raise_it()

    def enter(self, user, obj, action):
        """Inside a transaction: the permission, then the row lock, then state and guards on the locked row.

        Returns the locked object. Checking the state only after the lock is what keeps a concurrent transition
        from letting a late write slip in.
        """
        if refusal := self.permission_refusal(user, obj):
            refusal.raise_it()
        locked = self.lock(obj)
        self.require_state(locked, action, user)
        return locked


def move(lifecycle, *, user, obj, action, record, check=None, changes=None, change_reason=None):
    """A transition that only changes the status (and what `changes` names): atomic, row-locked, checked, recorded.

    check(locked) raises DomainError for what the content must satisfy; record(locked) writes the timeline.
    """
    with transaction.atomic():
        locked = lifecycle.enter(user, obj, action)
        if check is not None:
            check(locked)
        locked.status = lifecycle[action].target
        fields = ["status", "modified"]
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
            fields.append(name)
        if change_reason is not None:
            locked._change_reason = str(change_reason)  # django-simple-history's note on the change
        locked.save(update_fields=fields)
        record(locked)
    return locked


# --- Agreements -----------------------------------------------------------------------------------------------

A = m.Agreement.Status


def _nobody_signed(message):
    def guard(user, agreement):
        # .all(): the page prefetches the signatures; a freshly locked row reads them from the database.
        return message if agreement.signatures.all() else None

    return guard


def _own_party_unsigned(user, agreement):
    signed = {s.party_id for s in agreement.signatures.all()}
    if not set(access.acting_parties(user, agreement)) - signed:
        return _("Ihre Stelle hat bereits unterzeichnet.")
    return None


def _electronic_order(user, agreement):
    """Electronically, the parties sign in the agreement's order: the user's party must be the next one."""
    from . import signing

    if signing.method_for(agreement) != signing.PADES:
        return None
    next_id = signing.next_party_id(agreement)
    if next_id is None or next_id in access.acting_parties(user, agreement):
        return None
    return _("Die Parteien unterzeichnen elektronisch in der Reihenfolge der Vereinbarung; als Nächstes "
             "unterzeichnet %(party)s.") % {"party": party_name(next_id)}


def party_name(party_id):
    return m.Party.objects.filter(pk=party_id).values_list("name", flat=True).first() or ""


def holds_pen(user, agreement):
    """Whether the user writes for the party "am Zug" (Agreement.pen_holder_id)."""
    return agreement.pen_holder_id() in access.acting_parties(user, agreement)


def _not_an_amendment(user, agreement):
    """A Nachtrag changes the agreement it amends; next year's agreement and the Jobcenter's follow the agreement."""
    if agreement.amends_id is None:
        return None
    return _("Ein Nachtrag ändert die Zielvereinbarung, zu der er gehört; Folgevereinbarungen werden aus dieser "
             "abgeleitet.")


def _holds_pen(user, agreement):
    if user is None or holds_pen(user, agreement):
        return None
    return _("Am Zug ist %(party)s: nur diese Stelle bearbeitet den Arbeitsstand, bis sie ihn als Fassung "
             "übersendet. Ihre Stelle kann Vorschläge einbringen.") % {"party": party_name(agreement.pen_holder_id())}


def _drafter_alone_before_sending(user, agreement):
    """A draft nobody has sent yet is its drafter's (the party "am Zug"): only that party withdraws it; once a
    Fassung went out, every party may break the negotiation off."""
    if user is None or agreement.status != A.DRAFT or holds_pen(user, agreement):
        return None
    return _("Der Entwurf ist noch nicht übersandt: Zurückziehen kann ihn nur %(party)s, die ihn bearbeitet.") % {
        "party": party_name(agreement.pen_holder_id())}


def _without_pen(user, agreement):
    if user is None or any(pid != agreement.pen_holder_id() for pid in access.acting_parties(user, agreement)):
        return None
    return _("Ihre Stelle ist am Zug und ändert den Arbeitsstand selbst; Vorschläge bringt die andere Seite ein.")


def latest_version(agreement):
    """The last Fassung sent in the negotiation (an Endfassung is not offered for acceptance again: after a
    reopening, the text is agreed anew on a newly sent Fassung)."""
    return agreement.versions.filter(kind=m.AgreementVersion.Kind.DRAFT).order_by("-number").first()


def accepting_party_id(user, agreement, version):
    """The party for which the user accepts `version`: one they write for that received it and has not accepted
    it yet, or None."""
    accepted = set(version.acceptances.values_list("party_id", flat=True))
    return next((pid for pid in access.acting_parties(user, agreement)
                 if pid != version.author_party_id and pid not in accepted), None)


def _may_accept(user, agreement):
    """Consent is given to exactly the Fassung the user's party received, with goals, while nobody has unsent
    changes."""
    from .versions import unsent_changes

    version = latest_version(agreement)
    if version is None:
        return _("Es wurde noch keine Fassung übersandt: abgestimmt wird eine Fassung, die die andere Seite "
                 "erhalten hat.")
    if user is not None and accepting_party_id(user, agreement, version) is None:
        if set(access.acting_parties(user, agreement)) == {version.author_party_id}:
            return _("Fassung %(number)s hat Ihre Stelle selbst übersandt: annehmen kann sie nur, wer sie erhalten "
                     "hat.") % {"number": version.number}
        return _("Ihre Stelle hat Fassung %(number)s bereits angenommen.") % {"number": version.number}
    if unsent_changes(agreement, version):
        return _("Der Arbeitsstand weicht von Fassung %(number)s ab: Änderungen, die nicht übersandt sind, "
                 "verhindern die Annahme. Übersenden Sie sie als neue Fassung.") % {"number": version.number}
    if not version.snapshot.get("goals"):  # the Fassung is what is agreed (and, unchanged, the working text)
        return _("Eine Zielvereinbarung ohne Ziele kann nicht abgestimmt werden.")
    return None


def open_copied_passages(agreement):
    """How many passages a derived agreement copied that nobody has reviewed yet (services.follow_on); from the
    page's annotation where it has one (follow_on.passage_annotations), never on a freshly locked row."""
    annotated = agreement.__dict__.get("open_passage_count")
    if annotated is not None:
        return annotated
    return m.CopiedPassage.objects.filter(agreement=agreement, reviewed_at__isnull=True).count()


def _copied_passages_reviewed(user, agreement):
    """A follow-on goes out only when the party am Zug has reviewed every passage it copied (its checklist)."""
    count = open_copied_passages(agreement)
    if not count:
        return None
    return Refusal(
        ngettext("Die Folgevereinbarung enthält %(count)s übernommene Passage, die noch nicht geprüft ist. Vor der "
                 "ersten Übersendung prüft die Stelle am Zug jede übernommene Passage und hakt sie auf der "
                 "Prüfliste ab.",
                 "Die Folgevereinbarung enthält %(count)s übernommene Passagen, die noch nicht geprüft sind. Vor "
                 "der ersten Übersendung prüft die Stelle am Zug jede übernommene Passage und hakt sie auf der "
                 "Prüfliste ab.", count) % {"count": count},
        link=reverse("follow_on_review", args=[agreement.pk]), link_text=str(_("Zur Prüfliste")),
    )


def _while_open(*guards):
    """An action on the content, open until the text is agreed (Agreement.FROZEN_STATUSES)."""
    return Transition(
        sources=tuple(s for s in A.values if s not in m.Agreement.FROZEN_STATUSES), guards=guards,
        not_now=_("Die Zielvereinbarung ist „%(status)s“ und kann nicht mehr bearbeitet werden."),
    )


def lock_agreement(agreement):
    """Re-read the agreement with a row lock (PostgreSQL) so state checks and writes see one truth."""
    return m.Agreement.objects.select_for_update().get(pk=agreement.pk)


AGREEMENT = Lifecycle(
    permission=access.acting_party_id,
    lock=lock_agreement,
    transitions={
        # Content (text, goals, offers, proposals, statements) changes only while the text is open.
        "edit": _while_open(),
        # The working text (header, sections, goals, offers) and sending it: only the party "am Zug".
        "write": _while_open(_holds_pen),
        "send": Transition((A.DRAFT, A.NEGOTIATION), guards=(_holds_pen, _copied_passages_reviewed)),
        # Proposals: the parties without the pen.
        "propose": _while_open(_without_pen),
        # Accepting the received Fassung; the last acceptance needed makes the text agreed.
        "agree": Transition((A.NEGOTIATION,), A.AGREED, guards=(_may_accept,)),
        "reopen": Transition((A.AGREED,), A.NEGOTIATION, guards=(_nobody_signed(
            _("Nach der ersten Unterschrift kann die Abstimmung nicht mehr aufgehoben werden.")),)),
        "sign": Transition((A.AGREED,), A.SIGNED, guards=(_own_party_unsigned, _electronic_order)),
        "refuse": Transition((A.AGREED,), A.NOT_SIGNED),
        "withdraw": Transition((A.DRAFT, A.NEGOTIATION, A.AGREED), A.WITHDRAWN, guards=(_nobody_signed(
            _("Nach der ersten Unterschrift kann die Vereinbarung nicht zurückgezogen werden.")),
            _drafter_alone_before_sending)),
        "start": Transition((A.SIGNED,), A.IN_EFFECT),
        "close": Transition((A.EVALUATED,), A.CLOSED),
        "amend": Transition((A.SIGNED, A.IN_EFFECT, A.EVALUATED, A.CLOSED)),
        "derive": Transition(tuple(A.values), guards=(_not_an_amendment,)),
        # Deadlines of the agreement (services.deadlines): set, changed, done or dropped by an editor of any of its
        # parties while the agreement runs; an ended one (closed, withdrawn, not signed) has none left to keep.
        "deadline": Transition(
            (A.DRAFT, A.NEGOTIATION, A.AGREED, A.SIGNED, A.IN_EFFECT, A.EVALUATED),
            not_now=_("Die Zielvereinbarung ist „%(status)s“: ihre Fristen werden nicht mehr gesetzt oder geändert."),
        ),
        "review": Transition(
            (A.SIGNED, A.IN_EFFECT),
            not_now=_("Eine Zielnachhaltung ist im Status „%(status)s“ nicht möglich; sie wird nach der "
                      "Unterzeichnung erfasst."),
        ),
    },
)


# --- Vorlagen -------------------------------------------------------------------------------------------------

V = m.Vorlage.Status


def lock_vorlage(vorlage):
    """Re-read the Vorlage with a row lock (PostgreSQL), so state checks and writes see one truth."""
    return m.Vorlage.objects.select_for_update(of=("self",)).select_related("department").get(pk=vorlage.pk)


def _agreement_signed(user, vorlage):
    """A Vorlage about a Zielvereinbarung reports what was agreed and signed ("Vereinbart sind ... Ziele", the
    Verfahren up to the signatures): it is released once every party has signed, not from a draft."""
    if vorlage.agreement_id is None:
        return None
    agreement = vorlage.agreement
    if agreement.is_signed:
        return None
    return _("Die Zielvereinbarung „%(agreement)s“ ist „%(status)s“: die Vorlage berichtet über die unterzeichnete "
             "Vereinbarung und wird freigegeben, wenn alle Parteien unterschrieben haben.") % {
        "agreement": agreement.short_title, "status": agreement.get_status_display()}


# Why the committees' part (results, a postponed item's next consultation) is not open: before the release there is
# nothing to consult yet; a completed or withdrawn paper is closed.
CONSULTATION_CLOSED = {
    V.DRAFT: _("Die Vorlage ist noch ein Entwurf: Ergebnisse der Beratung werden erst nach der Freigabe erfasst."),
    V.DONE: _("Die Vorlage ist erledigt: Ihre Beratung ist abgeschlossen, Ergebnisse werden nicht mehr erfasst "
              "oder geändert."),
    V.WITHDRAWN: _("Die Vorlage ist zurückgezogen: Ihre Beratung ist beendet, Ergebnisse werden nicht mehr "
                   "erfasst oder geändert."),
}

VORLAGE = Lifecycle(
    permission=lambda user, vorlage: vorlage_access.require_writer(user, vorlage.department),
    lock=lock_vorlage,
    transitions={
        "edit": Transition(
            (V.DRAFT,), not_now=_("Die Vorlage ist „%(status)s“ und kann nicht mehr bearbeitet werden."),
        ),
        "release": Transition((V.DRAFT,), V.RELEASED, guards=(_agreement_signed,)),
        "start_consultation": Transition((V.RELEASED,), V.IN_CONSULTATION),
        # The first result puts a released Vorlage into Beratung.
        "record_result": Transition((V.RELEASED, V.IN_CONSULTATION), V.IN_CONSULTATION,
                                    not_now=CONSULTATION_CLOSED),
        # A postponed ("vertagt") consultation is taken up again in a later meeting of the same committee: the one
        # row a frozen Beratungsfolge takes (services.vorlagen.add_follow_up says which consultation awaits it).
        # Only a paper in Beratung has a result, so only one in Beratung has a postponed consultation.
        "follow_up": Transition((V.IN_CONSULTATION,), not_now={
            **CONSULTATION_CLOSED,
            V.RELEASED: _("Erneut beraten wird eine vertagte Beratung: Es ist noch kein Ergebnis erfasst."),
        }),
        "complete": Transition((V.IN_CONSULTATION,), V.DONE),
        "withdraw": Transition((V.DRAFT, V.RELEASED, V.IN_CONSULTATION), V.WITHDRAWN),
    },
)
