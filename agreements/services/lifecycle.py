"""The agreement's lifecycle: abstimmen, unterzeichnen, umsetzen, bewerten, abschließen; side exits.

Entwurf → in Verhandlung → abgestimmt → unterzeichnet → in Umsetzung → bewertet → abgeschlossen,
with zurückgezogen and nicht unterzeichnet. Each transition is one function here: atomic, row-locked, checks
state and permission, records a timeline step. When an action is open, and why not, says the AGREEMENT table in
services/transitions.py; `available_actions` tells the page which buttons to show from that same table.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agreements.infra.errors import DomainError
from agreements.policy import access
from agreements.services.base import commit_with_pdf, record_step, require_writer

from .. import models as m
from ..models.agreements import party_label
from . import deadlines, follow_on, signing
from .stored_pdfs import store_generated_pdf
from .transitions import AGREEMENT, accepting_party_id, latest_version, move, party_name
from .versions import create_version

logger = logging.getLogger(__name__)

S = m.Agreement.Status

def _actor_name(user):
    return user.get_full_name() or user.get_username()


def signature_progress(agreement):
    """(signed, total, missing parties) — 'partly signed is visible'."""
    parties = [ap.party for ap in agreement.agreement_parties.all()]
    signed_ids = {s.party_id for s in agreement.signatures.all()}
    return len(signed_ids), len(parties), [p for p in parties if p.pk not in signed_ids]


def available_actions(user, agreement):
    """The lifecycle actions this user may start now; the page shows exactly these."""
    return AGREEMENT.available(user, agreement)


def refusal(user, agreement, action):
    """Why `action` is not open now (a transitions.Refusal), or None; the words the service would refuse with."""
    return AGREEMENT.refusal(user, agreement, action)


@dataclass(frozen=True)
class AcceptanceRound:
    """The last sent Fassung and the acceptances that count for it now (`current`), apart from those that do not
    any more (`earlier`: of earlier Fassungen, or of this one before its agreement was lifted, history kept in the
    Verfahren). The records stay as they are; this only says which of them the negotiation stands on."""

    version: object  # transitions.latest_version, with its author; None before the first Fassung
    current: list
    earlier: list
    reopened: bool  # the text was agreed on `version` and the agreement lifted since: a new Fassung is agreed anew


def acceptance_round(agreement):
    """The AcceptanceRound of the agreement: two queries, whatever the number of Fassungen and acceptances."""
    version = (
        agreement.versions.filter(kind=m.AgreementVersion.Kind.DRAFT).select_related("author_party")
        .annotate(agreed=Exists(m.AgreementVersion.objects.filter(
            agreement=OuterRef("agreement"), kind=m.AgreementVersion.Kind.FINAL, number__gt=OuterRef("number"))))
        .order_by("-number").first()
    )
    # An Endfassung after the last sent Fassung while the agreement is in negotiation again: "Abstimmung aufheben".
    reopened = version is not None and version.agreed and agreement.status == S.NEGOTIATION
    acceptances = list(agreement.acceptances.select_related("party", "version").order_by("accepted_at", "id"))
    counting = version is not None and not reopened
    return AcceptanceRound(
        version=version, reopened=reopened,
        current=[a for a in acceptances if counting and a.version_id == version.pk],
        earlier=[a for a in acceptances if not (counting and a.version_id == version.pk)],
    )


def party_names(parties):
    """The parties' names for a sentence: "A, B"."""
    return ", ".join(p.name for p in parties)


def _negotiation_step(agreement, state):
    """Who must act next while the text is negotiated: on the last Fassung, who has accepted it, whose acceptance
    is missing, and what the party am Zug can do (the AGREEMENT table: it writes and sends as long as it holds
    the pen, accepted or not; any change to the working text stops the acceptance of the Fassung)."""
    parties = [ap.party for ap in agreement.agreement_parties.all()]
    pen_id = agreement.pen_holder_id()
    pen = next((p.name for p in parties if p.pk == pen_id), None) or party_name(pen_id)
    version = state.version
    if version is None:
        return _("Am Zug ist %(pen)s.") % {"pen": pen}
    facts = {"number": version.number, "author": version.author_party.name, "pen": pen}
    if state.reopened:
        return _("Die Abstimmung über Fassung %(number)s ist aufgehoben. Am Zug ist %(pen)s: ändert den "
                 "Arbeitsstand und übersendet ihn als neue Fassung, über die neu abgestimmt wird.") % facts
    if not version.snapshot.get("goals"):  # nothing to accept yet (transitions._may_accept)
        return _("Fassung %(number)s von %(author)s liegt vor, enthält aber keine Ziele. Am Zug ist %(pen)s: "
                 "ergänzt die Ziele und übersendet eine neue Fassung; erst die wird abgestimmt.") % facts
    accepted_ids = {a.party_id for a in state.current}
    accepted = [p for p in parties if p.pk in accepted_ids]
    missing = [p for p in parties if p.pk != version.author_party_id and p.pk not in accepted_ids]
    pen_may_accept = pen_id in {p.pk for p in missing}
    if not accepted:
        text = _("Fassung %(number)s von %(author)s liegt vor. Am Zug ist %(pen)s: ändert den Arbeitsstand und "
                 "übersendet ihn als neue Fassung, oder nimmt Fassung %(number)s an.") % facts
        others = [p for p in missing if p.pk != pen_id]
        if pen_may_accept and others:  # a trilateral agreement: the other recipient accepts too
            text += " " + _("Abgestimmt ist der Text erst, wenn auch %(parties)s Fassung %(number)s angenommen "
                            "hat.") % {**facts, "parties": party_names(others)}
        return text
    text = _("Fassung %(number)s von %(author)s liegt vor und ist von %(accepted)s angenommen; es fehlt noch die "
             "Annahme von %(missing)s.") % {**facts, "accepted": party_names(accepted),
                                            "missing": party_names(missing)}
    if pen_may_accept:
        return text + " " + _("Am Zug ist %(pen)s: ändert den Arbeitsstand und übersendet ihn als neue Fassung, "
                              "oder nimmt Fassung %(number)s an.") % facts
    return text + " " + _("%(pen)s bleibt am Zug und kann den Arbeitsstand noch ändern und als neue Fassung "
                          "übersenden; sobald der Arbeitsstand geändert ist, kann Fassung %(number)s nicht mehr "
                          "angenommen werden, und abgestimmt wird über die neue Fassung.") % facts


def next_step_text(agreement, state=None):
    """Who must act next, as a sentence for the page; `state` is the page's acceptance_round, if it has one."""
    status = agreement.status
    if status == S.DRAFT:
        return _("%(pen)s bearbeitet den Entwurf; er wird mit „Entwurf übersenden“ den anderen Parteien "
                 "zugeleitet.") % {"pen": party_name(agreement.pen_holder_id())}
    if status == S.NEGOTIATION:
        return _negotiation_step(agreement, state or acceptance_round(agreement))
    if status == S.AGREED:
        _signed, _total, missing = signature_progress(agreement)
        return _("Der Text ist abgestimmt. Es fehlt die Unterschrift von: %(parties)s.") % {
            "parties": ", ".join(p.name for p in missing)
        }
    if status == S.SIGNED:
        return _("Unterzeichnet. Mit der ersten Zielnachhaltung beginnt die Umsetzung.")
    if status == S.IN_EFFECT:
        return _("In Umsetzung: Zielnachhaltungen erfassen; die Jahresauswertung schließt die Bewertung ab.")
    if status == S.EVALUATED:
        return _("Bewertet. Die Vereinbarung kann abgeschlossen werden.")
    return _("Keine weiteren Schritte.")


def agree(*, user, agreement, note=""):
    """Annehmen: the user's party accepts exactly the Fassung it received, while nobody has unsent changes.

    When every party other than the Fassung's author has accepted it, the text is agreed: that Fassung's snapshot
    becomes the Endfassung (a FINAL version), and from then on only signing changes anything. Returns the
    Acceptance.
    """
    with transaction.atomic():
        agreement = AGREEMENT.enter(user, agreement, "agree")  # guards: a received Fassung, no unsent changes
        version = latest_version(agreement)
        party_id = accepting_party_id(user, agreement, version)
        acceptance = m.Acceptance.objects.create(
            agreement=agreement, version=version, party_id=party_id, accepted_by=user, accepted_at=timezone.now(),
        )
        record_step(agreement, kind=m.ProcedureStep.Kind.AGREED, user=user, version=version,
                    action="version.accepted",
                    data={"number": version.number, "party": party_name(party_id), "user": _actor_name(user)})
        accepted = set(version.acceptances.values_list("party_id", flat=True))
        if set(access.agreement_party_ids(agreement)) - {version.author_party_id} - accepted:
            return acceptance  # a trilateral agreement waits for the other recipients
        final = create_version(
            agreement, author_party_id=version.author_party_id, user=user, note=note,
            kind=m.AgreementVersion.Kind.FINAL, snapshot=version.snapshot,
        )
        agreement.status = AGREEMENT["agree"].target
        agreement.save(update_fields=["status", "modified"])
        record_step(agreement, kind=m.ProcedureStep.Kind.AGREED, user=user, version=final,
                    action="agreement.agreed", data={"number": final.number, "party": party_name(party_id)})
        deadlines.meet_deadlines(agreement, by="agreement.agreed", user=user, number=final.number)
    return acceptance


def reopen(*, user, agreement, reason):
    """Back to negotiation, as long as nobody has signed yet."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Bitte begründen Sie, warum die Abstimmung aufgehoben wird."))
    with transaction.atomic():
        party_id = require_writer(user, agreement)
        agreement = AGREEMENT.enter(user, agreement, "reopen")
        agreement.status = AGREEMENT["reopen"].target
        agreement.save(update_fields=["status", "modified"])
        record_step(agreement, kind=m.ProcedureStep.Kind.STATUS, user=user, action="agreement.reopened",
                    data={"party": party_name(party_id), "reason": reason})
    return agreement


def signing_party_id(user, agreement):
    """The party the user signs for: the first of the user's parties to the agreement that has not signed yet
    (None if all have); the signature form offers that party's people only."""
    signed = {s.party_id for s in agreement.signatures.all()}
    return next((pid for pid in access.acting_parties(user, agreement) if pid not in signed), None)


def agreed_on(agreement):
    """The day the text was agreed: that of the agreement's Endfassung, or None while there is none. Nobody signs
    a text before it was agreed, so no signature is dated earlier."""
    final = agreement.versions.filter(kind=m.AgreementVersion.Kind.FINAL).order_by("-number").first()
    return timezone.localdate(final.sent_at) if final else None


def check_signature_date(date, agreed):
    """The date of a signature on paper: not in the future, and not before the text was agreed (`agreed`, from
    agreed_on). The message, or None; said by the form before the confirmation and by the service under the lock."""
    if date > timezone.localdate():
        return _("Das Datum der Unterschrift liegt in der Zukunft.")
    if agreed is not None and date < agreed:
        return _("Das Datum der Unterschrift liegt vor dem Tag, an dem der Text abgestimmt wurde (%(date)s).") % {
            "date": formats.date_format(agreed, "SHORT_DATE_FORMAT")}
    return None


def _check_signature(user, agreement, data, method=signing.PAPER):
    """Under the row lock: the state, the user's party and the data of a signature; returns the locked agreement,
    the unsaved Signature, and whether it is the last one missing. An electronic signature is today's, and the
    parties sign it in the agreement's order."""
    agreement = AGREEMENT.enter(user, agreement, "sign")  # the guard: the user's party has not signed yet
    signed = {s.party_id for s in agreement.signatures.all()}
    party_id = signing_party_id(user, agreement)
    if signing.method_for(agreement) != method:
        raise DomainError(_("Die Unterzeichnungsart hat sich inzwischen geändert. Bitte laden Sie die Seite neu."))
    if method == signing.PADES:  # the guard has checked the order of the parties
        data = {**data, "date": timezone.localdate()}
    person = data.get("person")
    if person is not None and person.party_id != party_id:
        raise DomainError(_("Die unterzeichnende Person gehört nicht zu Ihrer Stelle."))
    date = data["date"]
    if refused := check_signature_date(date, agreed_on(agreement)):
        raise DomainError(refused)
    signature = m.Signature(
        agreement=agreement, party=m.Party.objects.get(pk=party_id), person=person,
        signatory_name=data.get("signatory_name") or (person.name if person else ""),
        signatory_function=data.get("signatory_function") or (person.function if person else ""),
        date=date, place=data["place"], recorded_by=user, method=method,
    )
    if not signature.signatory_name or not signature.signatory_function:
        raise DomainError(_("Name und Funktion der unterzeichnenden Person fehlen."))
    last = len(signed) + 1 == agreement.agreement_parties.count()
    return agreement, signature, last


def _save_signature(agreement, signature, user):
    signature.save()
    record_step(
        agreement, kind=m.ProcedureStep.Kind.SIGNATURE, user=user, date=signature.date, action="signature.made",
        data={"party": signature.party.name, "name": signature.signatory_name,
              "function": signature.signatory_function, "date": signature.date, "place": signature.place},
        target=signature,
    )
    return signature


def sign(*, user, agreement, data):
    """Record the signature of the user's own party. On paper, the last signature stores the signed PDF, once;
    electronically, every signature seals the file (_sign_electronically).

    The row lock serialises concurrent signatures. The last one is rendered with the PDF before it is saved, and
    not while the lock is held (commit_with_pdf): a failed rendering leaves the agreement as it was, retryable.
    """
    if signing.method_for(agreement) == signing.PADES:  # checked again under the lock
        return _sign_electronically(user, agreement, data)
    with transaction.atomic():
        agreement, signature, last = _check_signature(user, agreement, data)
        if not last:
            return _save_signature(agreement, signature, user)

    from ..pdf.agreement import agreement_html
    from ..pdf.render import pdf_from_html

    def prepare():
        locked, pending, _last = _check_signature(user, agreement, data)
        return agreement_html(locked, pending), (locked, pending)

    def commit(state, rendered):
        locked, pending = state
        _save_signature(locked, pending, user)
        _complete_signing(locked, user, rendered)
        return pending

    return commit_with_pdf(
        prepare=prepare, build=lambda html, _state: pdf_from_html(html), commit=commit,
        failure=_("Die unterzeichnete Fassung konnte nicht als PDF erzeugt werden; die Unterschrift wurde nicht "
                  "gespeichert. Bitte versuchen Sie es erneut oder wenden Sie sich an die Administration."),
    )


def _sign_electronically(user, agreement, data):
    """A PAdES signature of the user's party, the next in the agreement's order. The first one freezes the
    Endfassung as PDF/A with a signature field per party; each one seals the file the previous party signed (an
    incremental update, so the earlier signatures stay valid). Rendering and sealing run with no row lock held;
    under the lock again, the file must still be the one that was signed (else it is sealed anew)."""
    from ..infra.files import read_document
    from ..pdf.agreement import agreement_html
    from ..pdf.render import pdf_from_html

    def prepare():
        locked, pending, last = _check_signature(user, agreement, data, method=signing.PADES)
        previous = locked.signatures.filter(method=signing.PADES).select_related("document").order_by("id").last()
        source = ("file", previous.document.sha256) if previous else ("html", agreement_html(locked, electronic=True))
        return (pending.party_id, source), (locked, pending, last, previous)

    def build(inputs, state):
        locked, pending, _last, previous = state
        if previous is not None:
            pdf = read_document(previous.document)
        else:
            pdf = signing.prepare(pdf_from_html(inputs[1][1]).content, locked)
        return signing.seal(locked, pending, pdf)

    def commit(state, sealed):
        locked, pending, last, _previous = state
        document = store_generated_pdf(
            sealed, kind=m.Document.Kind.AGREEMENT, agreement=locked, user=user, signed=True,
            title=_("Zielvereinbarung (elektronisch unterzeichnet von %(party)s): %(title)s") % {
                "party": party_label(pending.party), "title": locked.title},
            filename=f"Zielvereinbarung-{locked.year}-{locked.pk}-{pending.party.key}.pdf",
        )
        pending.document, pending.sha256_before, pending.sha256_after = document, sealed.sha256_before, sealed.sha256
        pending.signed_at, pending.certificate_subject = sealed.signed_at, sealed.certificate_subject[:300]
        _save_signature(locked, pending, user)
        if last:
            _complete_signing(locked, user, sealed, document=document)
        return pending

    return commit_with_pdf(
        prepare=prepare, build=build, commit=commit,
        failure=_("Die elektronische Unterschrift konnte nicht angebracht werden; es wurde nichts gespeichert. "
                  "Bitte versuchen Sie es erneut oder wenden Sie sich an die Administration."),
    )


def _complete_signing(agreement, user, rendered, document=None):
    if document is None:
        document = store_generated_pdf(
            rendered, kind=m.Document.Kind.AGREEMENT, agreement=agreement, user=user,
            title=_("Zielvereinbarung (unterzeichnete Fassung): %(title)s") % {"title": agreement.title},
            filename=f"Zielvereinbarung-{agreement.year}-{agreement.pk}.pdf",
        )
    agreement.status = S.SIGNED
    agreement.signed_file = document
    agreement.save(update_fields=["status", "signed_file", "modified"])
    record_step(agreement, kind=m.ProcedureStep.Kind.STATUS, user=user, action="agreement.signed",
                data={"sha": rendered.sha256})
    deadlines.meet_deadlines(agreement, by="agreement.signed", user=user)


def _status_change(*, user, agreement, action, entry, reason_required=False, reason=""):
    """A transition of the AGREEMENT table that changes nothing but the status (and its reason); `entry` is the
    timeline action it records (agreements.text.entries)."""
    reason = (reason or "").strip()
    if reason_required and not reason:
        raise DomainError(_("Bitte geben Sie eine Begründung an."))
    party_id = require_writer(user, agreement)

    def record(locked):
        data = {"party": party_name(party_id)}
        if reason_required:
            data["reason"] = reason
        record_step(locked, kind=m.ProcedureStep.Kind.STATUS, user=user, action=entry, data=data)

    return move(AGREEMENT, user=user, obj=agreement, action=action, record=record,
                changes={"status_reason": reason} if reason else None)


def refuse(*, user, agreement, reason):
    """Nicht unterzeichnet: a party refuses to sign (as a ministry once sent one back unsigned)."""
    return _status_change(
        user=user, agreement=agreement, action="refuse", reason_required=True,
        reason=reason, entry="agreement.refused",
    )


def withdraw(*, user, agreement, reason):
    return _status_change(
        user=user, agreement=agreement, action="withdraw", reason_required=True,
        reason=reason, entry="agreement.withdrawn",
    )


def start_implementation(*, user, agreement):
    return _status_change(
        user=user, agreement=agreement, action="start", entry="agreement.started",
    )


def close(*, user, agreement):
    return _status_change(
        user=user, agreement=agreement, action="close", entry="agreement.closed",
    )


def _copy_content(source, target, *, parties=None):
    """Copy parties (unless given), legal bases, sections, goals and offers into a new draft."""
    if parties is None:
        parties = [(ap.party, ap.role) for ap in source.agreement_parties.select_related("party")]
    for order, (party, role) in enumerate(parties):
        m.AgreementParty.objects.create(agreement=target, party=party, role=role, order=order)
    target.legal_bases.set(source.legal_bases.all())
    m.AgreementSection.objects.bulk_create(
        m.AgreementSection(agreement=target, order=s.order, heading=s.heading, text=s.text)
        for s in source.sections.all()
    )
    m.Goal.objects.bulk_create(
        m.Goal(agreement=target, kind=g.kind, level=g.level, area=g.area, title=g.title, text=g.text,
               direction=g.direction, indicator_id=g.indicator_id, reference_value=g.reference_value,
               corridor_low=g.corridor_low, corridor_high=g.corridor_high, target_value=g.target_value,
               unit=g.unit, corridor_exception_reason=g.corridor_exception_reason, order=g.order)
        for g in source.goals.all()
    )
    m.SupportOffer.objects.bulk_create(
        m.SupportOffer(agreement=target, topic_id=o.topic_id, title=o.title, text=o.text,
                       provider_id=o.provider_id, coordinated_with_id=o.coordinated_with_id, order=o.order)
        for o in source.offers.all()
    )


def create_amendment(*, user, agreement):
    """Nachtrag: a new linked agreement that is negotiated and signed again; the original stays untouched."""
    with transaction.atomic():
        agreement = AGREEMENT.enter(user, agreement, "amend")
        number = agreement.amendments.count() + 1
        amendment = m.Agreement.objects.create(
            title=_("%(number)s. Nachtrag zur %(title)s") % {"number": number, "title": agreement.title},
            year=agreement.year, period_start=agreement.period_start, period_end=agreement.period_end,
            preamble=agreement.preamble, legal_basis_note=agreement.legal_basis_note,
            predecessor=agreement.predecessor, amends=agreement, created_by=user,
        )
        _copy_content(agreement, amendment)
        record_step(amendment, kind=m.ProcedureStep.Kind.STATUS, user=user, action="agreement.amended",
                    data={"title": agreement.title, "source": agreement.short_title})
    return amendment


DERIVE_KINDS = ("next_year", "jobcenter")


def derive(*, user, agreement, kind):
    """Folgevereinbarung: next year's draft, or the Kreis–Jobcenter agreement mirroring a Kreis–Land one; either
    with the checklist of what it copied (services.follow_on)."""
    if kind not in DERIVE_KINDS:
        raise DomainError(_("Unbekannte Art der Folgevereinbarung."))
    with transaction.atomic():
        agreement = AGREEMENT.enter(user, agreement, "derive")
        if kind == "next_year":
            year = agreement.year + 1
            period_start, period_end = follow_on.next_period(agreement)
            target = m.Agreement.objects.create(
                title=follow_on.next_title(agreement), year=year, period_start=period_start, period_end=period_end,
                preamble=agreement.preamble, legal_basis_note=agreement.legal_basis_note,
                predecessor=agreement, created_by=user,
            )
            _copy_content(agreement, target)
            entry = "agreement.derived"
        else:
            county_link = agreement.agreement_parties.select_related("party").filter(
                role=m.AgreementParty.Role.KOMMUNALER_TRAEGER).first()
            if county_link is None:
                raise DomainError(_("Die Vereinbarung hat keinen kommunalen Träger."))
            county = county_link.party
            if county.pk not in access.editor_party_ids(user):
                raise DomainError(_("Nur der kommunale Träger kann die Vereinbarung mit seinem Jobcenter ableiten."))
            jobcenter = m.Party.objects.filter(parent=county, kind=m.Party.Kind.JOBCENTER).first()
            if jobcenter is None:
                raise DomainError(_("Für %(county)s ist kein Jobcenter erfasst.") % {"county": county.name})
            year = agreement.year
            target = m.Agreement.objects.create(
                title=_("Zielvereinbarung %(year)s zwischen %(county)s und %(jobcenter)s") % {
                    "year": year, "county": county.name, "jobcenter": jobcenter.name},
                year=year, period_start=agreement.period_start, period_end=agreement.period_end,
                preamble=agreement.preamble, legal_basis_note=agreement.legal_basis_note, created_by=user,
            )
            _copy_content(agreement, target, parties=[
                (county, m.AgreementParty.Role.KOMMUNALER_TRAEGER), (jobcenter, m.AgreementParty.Role.JOBCENTER),
            ])
            target.related.add(agreement)
            entry = "agreement.derived_jobcenter"
        # Next year's text follows its year; every copied passage goes on the checklist reviewed before the first
        # Fassung is sent.
        checklist = follow_on.list_copied_passages(agreement, target, shift=kind == "next_year")
        record_step(target, kind=m.ProcedureStep.Kind.STATUS, user=user, action=entry,
                    data={"year": year, "title": agreement.title, "source": agreement.short_title,
                          **checklist})
    return target


def record_review(*, user, agreement, data, assessments):
    """Zielnachhaltung: one assessment per goal. The year-end evaluation sets the agreement to 'bewertet'.

    `assessments` is a list of dicts with goal, status, actual_value, report_month, comment.
    """
    with transaction.atomic():
        agreement = AGREEMENT.enter(user, agreement, "review")
        goals = {g.pk: g for g in agreement.goals.all()}
        seen = set()
        for item in assessments:
            goal = item["goal"]
            if goal.pk not in goals or goal.pk in seen:
                raise DomainError(_("Jedes Ziel dieser Vereinbarung kann nur einmal bewertet werden."))
            seen.add(goal.pk)
            if item.get("actual_value") is not None and goal.kind == m.Goal.Kind.QUALITATIVE:
                raise DomainError(_("Für das qualitative Ziel „%(goal)s“ gibt es keinen Istwert.")
                                  % {"goal": goal.title})
        final = data["kind"] == m.Review.Kind.FINAL
        if final and seen != set(goals):
            raise DomainError(_("Die Jahresauswertung muss jedes Ziel bewerten."))
        review = m.Review.objects.create(
            agreement=agreement, kind=data["kind"], date=data["date"], participants=data.get("participants") or "",
            minutes=data.get("minutes") or "", created_by=user,
        )
        m.Assessment.objects.bulk_create(
            m.Assessment(review=review, goal=item["goal"], status=item["status"],
                         actual_value=item.get("actual_value"), report_month=item.get("report_month"),
                         comment=item.get("comment") or "")
            for item in assessments
        )
        new_status = S.EVALUATED if final else S.IN_EFFECT
        if agreement.status != new_status:
            agreement.status = new_status
            agreement.save(update_fields=["status", "modified"])
        record_step(agreement, kind=m.ProcedureStep.Kind.REVIEW, user=user, date=data["date"],
                    action="review.recorded",
                    data={"kind": review.kind, "date": data["date"], "count": len(assessments)})
    return review


def predecessor_results(agreement):
    """How the predecessor's goals ended: the latest assessment per goal ('Dieses Ziel wurde erreicht')."""
    predecessor = agreement.predecessor
    if predecessor is None:
        return []
    assessments = (m.Assessment.objects.filter(review__agreement=predecessor)
                   .select_related("goal", "review").order_by("goal__order", "goal_id", "-review__date", "-id"))
    latest = {}
    for assessment in assessments:
        latest.setdefault(assessment.goal_id, assessment)
    return list(latest.values())


