"""Everything the Vorlage's draft says about an agreement, read from the database in one place.

`gather` loads the agreement with its records in a fixed number of queries and returns them as the frozen
dataclasses of `text.facts`, which `text.vorlage` phrases; no other module reads the database for the draft.
"""

from django.db.models import Prefetch
from django.utils import translation

from agreements.text import entries
from agreements.text import facts as t
from agreements.text.numbers import PAPER_LANGUAGE, format_number

from .. import models as m

_NOT_ADOPTED = (m.Proposal.Decision.PARTLY, m.Proposal.Decision.REJECTED)
_TO_BE_CONCRETISED = (m.SupportOffer.Status.PLANNED, m.SupportOffer.Status.CONCRETISING)


def _loaded(agreement):
    parties = Prefetch("agreement_parties", queryset=m.AgreementParty.objects.select_related("party"))
    return (
        m.Agreement.objects.select_related("signed_file", "predecessor")
        .prefetch_related(
            parties, "legal_bases", "documents",
            Prefetch("goals", queryset=m.Goal.objects.order_by("order", "id")),
            Prefetch("offers", queryset=m.SupportOffer.objects.select_related("topic", "provider",
                                                                              "coordinated_with")),
            Prefetch("proposals", queryset=m.Proposal.objects.select_related("answer_letter__sender")),
            Prefetch("steps", queryset=m.ProcedureStep.objects.order_by("date", "created", "id")),
            Prefetch("letters", queryset=m.Letter.objects.select_related(
                "sender", "recipient", "sender_person", "document")),
            Prefetch("statements", queryset=m.Statement.objects.select_related("party", "document")),
            Prefetch("signatures", queryset=m.Signature.objects.select_related("person").order_by("date", "id")),
            Prefetch("related", queryset=m.Agreement.objects.prefetch_related(parties)),
            Prefetch("predecessor__goals", queryset=m.Goal.objects.order_by("order", "id").prefetch_related(
                Prefetch("assessments", queryset=m.Assessment.objects.select_related("review")))),
            Prefetch("predecessor__agreement_parties", queryset=m.AgreementParty.objects.select_related("party")),
            Prefetch("predecessor__related", queryset=m.Agreement.objects.prefetch_related(parties, "goals")),
        )
        .get(pk=agreement.pk)
    )


def _party(party):
    return t.Party(pk=party.pk, name=party.name, short_name=party.short_name, kind=party.kind)


def _file(document):
    return None if document is None else t.File(pk=document.pk, handle=document)


def _person(person):
    if person is None:
        return None
    return t.Person(family_name=person.family_name, form_of_address=person.form_of_address,
                    function=person.function, title=person.title)


def _step(step):
    # A recorded step is a typed entry (agreements.text.entries): the paper phrases it in German.
    title, description = step.rendered(entries.PAPER_LANGUAGE)
    return t.Step(pk=step.pk, date=step.date, end_date=step.end_date, precision=step.date_precision,
                  kind=step.kind, title=title, description=description, automatic=step.automatic,
                  action=step.action, data=dict(step.data or {}) if step.action else {})


def _goal(goal, latest_status=None):
    return t.Goal(title=goal.title, kind=goal.kind, level=goal.level, level_label=str(goal.get_level_display()),
                  direction_label=str(goal.get_direction_display()) if goal.direction else "",
                  target_value=goal.target_value, unit=goal.unit, latest_status=latest_status,
                  target_text=format_number(goal.target_value, goal.unit, language=PAPER_LANGUAGE),
                  corridor_exception_reason=goal.corridor_exception_reason)


def _letter(letter):
    return t.Letter(pk=letter.pk, date=letter.date, sender=_party(letter.sender),
                    recipient=_party(letter.recipient),
                    sender_function=letter.sender_person.function if letter.sender_person else "",
                    document=_file(letter.document))


def _offer(offer):
    return t.Offer(
        topic=t.Topic(pk=offer.topic.pk, number=offer.topic.number, name=offer.topic.name),
        provider=_party(offer.provider) if offer.provider else None,
        coordinated_with=_party(offer.coordinated_with) if offer.coordinated_with else None,
        to_be_concretised=offer.status in _TO_BE_CONCRETISED,
    )


def _has_party(agreement, party):
    return any(ap.party_id == party.pk for ap in agreement.agreement_parties.all())


def _predecessor(agreement, county):
    """The previous year's agreement and the county's other agreements of that year: with whom, which goals,
    and what the latest review said of each."""
    predecessor = agreement.predecessor
    if predecessor is None or county is None:
        return None
    previous = [predecessor] + [a for a in predecessor.related.all()
                                if a.year == predecessor.year and _has_party(a, county)]
    partners = []
    for each in reversed(previous):  # the reference names the Jobcenter before the ministry
        for ap in each.agreement_parties.all():
            if ap.party_id != county.pk and ap.party_id not in {p.pk for p in partners}:
                partners.append(ap.party)
    goals = list(predecessor.goals.all())
    titles = sorted(g.title for g in goals)
    latest = {}
    for assessment in sorted((a for g in goals for a in g.assessments.all()),
                             key=lambda a: (a.review.date, a.pk), reverse=True):
        latest.setdefault(assessment.goal_id, assessment.status)
    return t.Predecessor(
        year=predecessor.year, first=predecessor.predecessor_id is None,
        partners=tuple(_party(p) for p in partners), agreements=len(previous),
        goals=tuple(_goal(g, latest.get(g.pk)) for g in goals),
        same_goals=len(previous) > 1 and all(sorted(g.title for g in a.goals.all()) == titles for a in previous),
    )


def _related(agreement, county):
    """The county's agreements of the same year with a Jobcenter (the one that mirrors this agreement)."""
    found = []
    for related in agreement.related.all() if county is not None else ():
        jobcenters = [ap.party for ap in related.agreement_parties.all() if ap.party.kind == m.Party.Kind.JOBCENTER]
        if related.year == agreement.year and jobcenters and _has_party(related, county):
            found.append(t.Related(year=related.year, jobcenter=_party(jobcenters[0]), signed=related.is_signed))
    return tuple(found)


def _proposals(agreement, county):
    return tuple(
        t.Proposal(text=p.text, decision_label=str(p.get_decision_display()), concerns=p.concerns,
                   reason=p.reason, answer_letter=_letter(p.answer_letter) if p.answer_letter else None)
        for p in agreement.proposals.all()
        if p.decision in _NOT_ADOPTED and (county is None or p.party_id == county.pk)
    )


def gather(agreement, *, department):
    """The facts of the agreement as a Vorlage of `department` reports them. The department's party is the
    county ("kommunaler Träger") when it is a party to the agreement; the labels are German."""
    with translation.override(entries.PAPER_LANGUAGE):
        agreement = _loaded(agreement)
        agreement_parties = list(agreement.agreement_parties.all())
        land = next((ap.party for ap in agreement_parties if ap.role == m.AgreementParty.Role.LAND), None)
        county = department.party if _has_party(agreement, department.party) else None
        return t.VorlageFacts(
            year=agreement.year,
            parties=tuple(_party(ap.party) for ap in agreement_parties),
            land=_party(land) if land else None,
            county=_party(county) if county else None,
            predecessor=_predecessor(agreement, county),
            related=_related(agreement, county),
            signatures=tuple(t.Signature(name=s.signatory_name, function=s.signatory_function,
                                         person=_person(s.person)) for s in agreement.signatures.all()),
            steps=tuple(_step(s) for s in agreement.steps.all()),
            legal_bases=tuple(t.LegalBasis(citation=b.citation, title=b.title, text=b.text)
                              for b in agreement.legal_bases.all()),
            legal_basis_note=agreement.legal_basis_note,
            goals=tuple(_goal(g) for g in agreement.goals.all()),
            offers=tuple(_offer(o) for o in agreement.offers.all()),
            proposals=_proposals(agreement, county),
            letters=tuple(_letter(letter) for letter in agreement.letters.all()),
            statements=tuple(t.Statement(pk=s.pk, party=_party(s.party), date=s.date,
                                         include_as_annex=s.include_as_annex, document=_file(s.document))
                             for s in agreement.statements.all()),
            annexes=tuple(t.Annex(title=d.title, document=_file(d)) for d in agreement.documents.all()
                          if d.kind == m.Document.Kind.ANNEX),
            signed_file=_file(agreement.signed_file),
            answer_letter_pks=frozenset(p.answer_letter_id for p in agreement.proposals.all()
                                        if p.answer_letter_id and p.decision != m.Proposal.Decision.OPEN),
        )
