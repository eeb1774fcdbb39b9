"""The draft of a Vorlage written from an agreement: its facts phrased in German prose."""

from types import SimpleNamespace

from django.db.models import Prefetch
from django.utils import translation
from django.utils.formats import date_format

from agreements.services.base import record_language

from .. import models as m
from .documents import MAX_TITLE
from .negotiation import format_step_date

# --- The draft written from an agreement --------------------------------------------------------------------

_ARTICLES = {
    "nom": {"m": "der", "n": "das", "f": "die"},
    "gen": {"m": "des", "n": "des", "f": "der"},
    "dat": {"m": "dem", "n": "dem", "f": "der"},
    "acc": {"m": "den", "n": "das", "f": "die"},
}
_FEMININE_WORDS = {"liga", "stadt", "städteregion", "regionaldirektion", "bundesagentur", "agentur",
                   "arbeitsgemeinschaft", "landesregierung"}
_NUMBER_WORDS = {1: "einem", 2: "zwei", 3: "drei", 4: "vier", 5: "fünf", 6: "sechs", 7: "sieben", 8: "acht",
                 9: "neun", 10: "zehn", 11: "elf", 12: "zwölf"}
ASSESSMENT_SENTENCES = {
    m.Assessment.Status.ACHIEVED: "wurde erreicht",
    m.Assessment.Status.PARTLY: "wurde teilweise erreicht",
    m.Assessment.Status.MISSED: "wurde nicht erreicht",
    m.Assessment.Status.ON_TRACK: "lag zuletzt im Plan",
    m.Assessment.Status.AT_RISK: "war zuletzt gefährdet",
    m.Assessment.Status.NOT_ASSESSABLE: "war nicht bewertbar",
}


def display_name(party):
    """How the paper names a party: the ministry by its short name ("MAIS NRW"), a party whose name carries its
    common name in brackets by that ("Liga der Wohlfahrtsverbände"), everybody else by the full name."""
    short = party.short_name
    if short and (party.kind == m.Party.Kind.MINISTRY or party.name.endswith(f"({short})")):
        return short
    return party.name


def _gender(party):
    first = display_name(party).split(" ", 1)[0].split("-")[-1].lower()
    if party.kind in (m.Party.Kind.KREISFREIE_STADT, m.Party.Kind.REGIONALDIREKTION) or first in _FEMININE_WORDS:
        return "f"
    if party.kind in (m.Party.Kind.MINISTRY, m.Party.Kind.JOBCENTER):
        return "n"
    return "m"


def named(party, case):
    """The party with its German article: named(kreis, "dat") → 'dem Kreis Mettmann'."""
    gender = _gender(party)
    name = display_name(party)
    first, _sep, rest = name.partition(" ")
    if case == "gen" and first.endswith(("Kreis", "tag")):
        name = " ".join(p for p in (first + "es", rest) if p)
    elif case == "gen" and first.endswith(("center", "amt")):
        name = " ".join(p for p in (first + "s", rest) if p)
    return f"{_ARTICLES[case][gender]} {name}"


def _join(items, word="und"):
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _day(value):
    return date_format(value, "d.m.Y")


def _single_date(step, value):
    return format_step_date(SimpleNamespace(date=value, end_date=None, date_precision=step.date_precision))


def _half_year(value):
    return f"{'ersten' if value.month <= 6 else 'zweiten'} Halbjahr {value.year}"


def date_phrase(step):
    """How a sentence about the step begins, as precise as its date is known: 'Am 16.12.2011',
    'Im November 2011', 'Im zweiten Halbjahr 2011', 'Im Jahr 2011'; ranges as 'Vom … bis zum …'."""
    P = m.ProcedureStep.Precision
    precision = step.date_precision
    if precision == P.HALF_YEAR:
        start, end = _half_year(step.date), _half_year(step.end_date) if step.end_date else None
    else:
        start = _single_date(step, step.date)
        end = _single_date(step, step.end_date) if step.end_date else None
    if end is None or end == start:
        if precision == P.DAY:
            return f"Am {start}"
        if precision == P.YEAR:
            return f"Im Jahr {start}"
        return f"Im {start}"
    if precision == P.DAY:
        return f"Vom {start} bis zum {end}"
    if precision == P.YEAR:
        return f"In den Jahren {start} bis {end}"
    return f"Von {start} bis {end}" if precision == P.MONTH else f"Vom {start} bis zum {end}"


def _mentions_date(step):
    description = step.description or ""
    candidates = {format_step_date(step), _single_date(step, step.date)}
    if step.date_precision == m.ProcedureStep.Precision.HALF_YEAR:
        candidates.add(_half_year(step.date))
    return any(c and c in description for c in candidates)


STEP_SENTENCES = {
    m.ProcedureStep.Kind.MEETING: "%(when)s fand das Gespräch „%(title)s“ statt.",
    m.ProcedureStep.Kind.REFERENCE_VALUES: "%(when)s wurden die Referenzwerte mitgeteilt („%(title)s“).",
    m.ProcedureStep.Kind.DRAFT_SENT: "%(when)s wurde ein Entwurf übersandt („%(title)s“).",
    m.ProcedureStep.Kind.STATEMENT: "%(when)s wurde eine Stellungnahme abgegeben („%(title)s“).",
    m.ProcedureStep.Kind.EVALUATION: "%(when)s erfolgte die Auswertung („%(title)s“).",
    m.ProcedureStep.Kind.LETTER: "%(when)s erging das Schreiben „%(title)s“.",
    m.ProcedureStep.Kind.AGREED: "%(when)s wurde der Text der Zielvereinbarung abgestimmt.",
    m.ProcedureStep.Kind.SIGNATURE: "%(when)s wurde die Zielvereinbarung unterzeichnet.",
}


def step_sentence(step, fallback=None):
    """The step as full sentences beginning with its date: its own description when that already says when
    (the demo's do), otherwise an opening sentence with the date, followed by the description."""
    description = " ".join((step.description or "").split())
    if description and _mentions_date(step):
        return description
    template = fallback or STEP_SENTENCES.get(step.kind, "%(when)s erfolgte der Verfahrensschritt „%(title)s“.")
    opening = template % {"when": date_phrase(step), "title": step.title}
    return f"{opening} {description}" if description else opening


def _party_of(agreement_parties, role):
    return next((ap.party for ap in agreement_parties if ap.role == role), None)


def _title(agreement, land, county):
    year = agreement.year
    first = f"Zielsteuerung {year} in der Grundsicherung für Arbeitsuchende"
    if land is not None and county is not None:
        return (f"{first}\n- Abschluss einer Zielvereinbarung zwischen {named(land, 'dat')} und "
                f"{named(county, 'dat')} als kommunaler Träger des Jobcenters für das Jahr {year}")
    parties = [named(ap.party, "dat") for ap in agreement.agreement_parties.all()]
    return f"{first}\n- Abschluss einer Zielvereinbarung zwischen {_join(parties)} für das Jahr {year}"


def _person_dative(person=None, name="", function=""):
    """'Herrn Landrat Hendele', 'Frau Dr. Muster', 'Landrat Thomas Hendele' (without a person record)."""
    if person is None:
        return " ".join(p for p in (function, name) if p)
    address = {"Herr": "Herrn", "Frau": "Frau"}.get(person.form_of_address, "")
    return " ".join(p for p in (address, person.function if address else "", person.title, person.family_name) if p)


def _predecessor_text(agreement, county):
    predecessor = agreement.predecessor
    if predecessor is None or county is None:
        return ""
    previous = [predecessor] + [
        a for a in predecessor.related.all() if a.year == predecessor.year
        and any(ap.party_id == county.pk for ap in a.agreement_parties.all())
    ]
    partners = []
    for each in reversed(previous):  # the reference names the Jobcenter before the ministry
        for ap in each.agreement_parties.all():
            if ap.party_id != county.pk and ap.party_id not in {p.pk for p in partners}:
                partners.append(ap.party)

    def partner_text(party):
        text = named(party, "dat")
        if party.kind == m.Party.Kind.MINISTRY and party.short_name:
            text = f"{_ARTICLES['dat'][_gender(party)]} {party.name} ({party.short_name})"
        return text

    first = "" if predecessor.predecessor_id else " erste"
    if len(partners) >= 2:
        with_whom = f"sowohl mit {_join([partner_text(p) for p in partners[:-1]], 'und')} als auch mit " \
                    f"{partner_text(partners[-1])}"
    else:
        with_whom = "mit " + _join([partner_text(p) for p in partners])
    sentences = [f"Bereits im Jahr {predecessor.year} hat {named(county, 'nom')} {with_whom} eine{first} "
                 f"Zielvereinbarung abgeschlossen."]
    goals = list(predecessor.goals.all())
    if goals:
        titles = [g.title for g in goals]
        same = len(previous) > 1 and all(sorted(g.title for g in a.goals.all()) == sorted(titles) for a in previous)
        subject = "Diese Vereinbarungen enthielten" if same else (
            "Diese Vereinbarung enthielt" if len(previous) == 1
            else f"Die Vereinbarung mit {partner_text(partners[-1])} enthielt")
        if len(goals) == 1:
            sentences.append(f"{subject} {'das gleichlautende' if same else 'das'} Ziel „{titles[0]}“ für das "
                             f"Jahr {predecessor.year}.")
        else:
            quoted = [f"„{t}“" for t in titles]
            sentences.append(f"{subject} {'die gleichlautenden' if same else 'die'} Ziele {_join(quoted)}.")
        latest = {}
        for assessment in sorted(
            (a for g in goals for a in g.assessments.all()), key=lambda a: (a.review.date, a.pk), reverse=True
        ):
            latest.setdefault(assessment.goal_id, assessment)
        for goal in goals:
            assessment = latest.get(goal.pk)
            if assessment is None:
                continue
            verb = ASSESSMENT_SENTENCES[assessment.status]
            sentences.append(f"Dieses Ziel {verb}." if len(goals) == 1 else f"Das Ziel „{goal.title}“ {verb}.")
    return " ".join(sentences)


def _signature_text(agreement, land, county):
    signatures = list(agreement.signatures.all())
    if not signatures:
        return ""
    names = [_person_dative(s.person, s.signatory_name, s.signatory_function) for s in signatures]
    between = (f"zwischen {named(land, 'dat')} und {named(county, 'dat')} " if land is not None and county is not None
               else "")
    complete = len(signatures) >= len(agreement.agreement_parties.all())
    return (f"Die Zielvereinbarung {between}ist {'inzwischen' if complete else 'bisher'} von {_join(names)} "
            f"unterzeichnet worden.")


def _negotiation_start(steps):
    begins = [s for s in steps if s.title.lower().startswith(("beginn der verhandlung", "verhandlungsbeginn"))]
    if begins:
        return begins[0]
    return next((s for s in steps if s.kind == m.ProcedureStep.Kind.DRAFT_SENT), None)


def _occasion(agreement, land, county, steps):
    paragraphs = [_predecessor_text(agreement, county)]
    reference_values = next((s for s in steps if s.kind == m.ProcedureStep.Kind.REFERENCE_VALUES), None)
    if reference_values is not None:
        who = f"teilte {named(land, 'nom')} die Referenzwerte und die dazugehörigen Korridore" if land else \
            "wurden die Referenzwerte und die dazugehörigen Korridore"
        verb = "mit" if land else "mitgeteilt"
        paragraphs.append(step_sentence(
            reference_values, f"%(when)s {who} für die Zielvereinbarung {agreement.year} {verb}."))
    start = _negotiation_start(steps)
    if start is not None:
        paragraphs.append(step_sentence(
            start, f"%(when)s begannen die Verhandlungen über die Inhalte der Zielvereinbarung {agreement.year}."))
    paragraphs.append(_signature_text(agreement, land, county))
    return "\n\n".join(p for p in paragraphs if p), [s for s in (reference_values, start) if s is not None]


def _legal_text(agreement):
    paragraphs = []
    for basis in agreement.legal_bases.all():
        if basis.text:
            paragraphs.append(basis.text)
        else:
            paragraphs.append(f"{basis.citation}{' – ' + basis.title if basis.title else ''}")
    if agreement.legal_basis_note:
        paragraphs.append(agreement.legal_basis_note.strip())
    return "\n\n".join(paragraphs)


def _procedure_text(steps, used, vorlage_date, signed):
    K = m.ProcedureStep.Kind
    skip = {K.STATUS, K.REVIEW, K.PROPOSAL, K.PROPOSAL_DECIDED} | ({K.SIGNATURE} if signed else set())
    paragraphs = [
        step_sentence(step) for step in steps
        if step not in used and step.kind not in skip and step.date <= vorlage_date
        # The system's own entries about Vorlagen are not part of the negotiation.
        and not (step.automatic and step.kind == K.OTHER)
    ]
    return "\n\n".join(paragraphs)


def _count_word(number):
    return _NUMBER_WORDS.get(number, str(number))


def _goals_text(agreement):
    goals = list(agreement.goals.all())
    if not goals:
        return ""
    G = m.Goal
    kinds = {kind: sum(1 for g in goals if g.kind == kind) for kind in G.Kind.values}
    directions = []
    for goal in goals:
        if goal.direction and goal.get_direction_display() not in directions:
            directions.append(goal.get_direction_display())
    if kinds[G.Kind.QUALITATIVE] == len(goals):
        text = (f"Die Zielvereinbarung {agreement.year} enthält keine zahlenmäßigen Zielwerte, sondern "
                f"ausschließlich qualitative Leitziele und Tendenzen")
        text += f" ({', '.join(directions)})." if directions else "."
    else:
        parts = []
        if kinds[G.Kind.QUANTITATIVE]:
            parts.append(f"{kinds[G.Kind.QUANTITATIVE]} quantitative Ziele mit Ziel- oder Referenzwerten")
        if kinds[G.Kind.QUALITATIVE]:
            parts.append(f"{kinds[G.Kind.QUALITATIVE]} qualitative Leitziele und Tendenzen")
        if kinds[G.Kind.MONITORING]:
            parts.append(f"{kinds[G.Kind.MONITORING]} Monitoring-Ziele")
        text = f"Die Zielvereinbarung {agreement.year} enthält {_join(parts)}."
    state = sum(1 for g in goals if g.level == G.Level.STATE)
    local = len(goals) - state
    text += f" Vereinbart sind {len(goals)} Ziele, davon {state} Landesziele und {local} lokale Ziele:"
    lines = []
    for goal in goals:
        detail = [goal.get_level_display()]
        if goal.direction:
            detail.append(f"Tendenz: {goal.get_direction_display()}")
        if goal.target_value is not None:
            detail.append(f"Zielwert: {goal.target_value.normalize():f}{' ' + goal.unit if goal.unit else ''}")
        lines.append(f"- {goal.title} ({', '.join(detail)})")
    return text + "\n" + "\n".join(lines)


def _offers_text(agreement, land, has_annex):
    offers = list(agreement.offers.all())
    if not offers:
        return ""
    topics = {}
    for offer in offers:
        topics.setdefault(offer.topic, []).append(offer)
    providers = []
    for offer in offers:
        if offer.provider is not None and offer.provider not in providers:
            providers.append(offer.provider)
    who = named(providers[0], "nom") if len(providers) == 1 else (named(land, "nom") if land else "Das Land")
    who = who[0].upper() + who[1:]
    count = len(topics)
    noun = "Themenschwerpunkt" if count == 1 else "Themenschwerpunkten"
    lines = [f"- {topic.number}. {topic.name} ({len(items)} {'Angebot' if len(items) == 1 else 'Angebote'})"
             for topic, items in sorted(topics.items(), key=lambda item: item[0].number)]
    text = f"{who} will zu insgesamt {_count_word(count)} {noun} Unterstützung anbieten:\n" + "\n".join(lines)
    coordinated = []
    for offer in offers:
        if offer.coordinated_with is not None and offer.coordinated_with not in coordinated:
            coordinated.append(offer.coordinated_with)
    sentences = []
    if coordinated:
        sentences.append(f"Die Unterstützungsangebote sind mit {_join([named(p, 'dat') for p in coordinated])} "
                         f"abgestimmt.")
    if has_annex:
        sentences.append("Sie können der Übersicht entnommen werden, die der Zielvereinbarung beigefügt ist.")
    if any(o.status in (m.SupportOffer.Status.PLANNED, m.SupportOffer.Status.CONCRETISING) for o in offers):
        sentences.append("Die weitere inhaltliche Konkretisierung der einzelnen Angebote erfolgt im Jahresverlauf.")
    return text + ("\n\n" + " ".join(sentences) if sentences else "")


def _words(*parts):
    """A sentence from its parts, leaving out the empty ones (an unknown party, a missing sender)."""
    return " ".join(p for p in parts if p)


def _proposals_text(agreement, land, county):
    D = m.Proposal.Decision
    proposals = [p for p in agreement.proposals.all()
                 if p.decision in (D.PARTLY, D.REJECTED) and (county is None or p.party_id == county.pk)]
    if not proposals:
        return ""
    lines = [f"- {p.concerns or ' '.join(p.text.split())[:120]} ({p.get_decision_display()})" for p in proposals]
    text = _words("Einige", f"durch {named(county, 'acc')}" if county else "", "vorgeschlagenen Inhalte wurden",
                  f"durch {named(land, 'acc')}" if land else "", "nicht oder nicht vollständig übernommen:")
    text += "\n" + "\n".join(lines)
    letters = sorted({p.answer_letter for p in proposals if p.answer_letter is not None},
                     key=lambda letter: (letter.date, letter.pk))
    if letters:
        one_sender = len({letter.sender_id for letter in letters}) == 1
        attached = all(letter.document_id for letter in letters)
        if len(letters) == 1:
            which, clause = "das Schreiben", ", das als Anlage dieser Vorlage beigefügt ist"
        else:
            which, clause = "die Schreiben", ", die als Anlagen dieser Vorlage beigefügt sind"
        reference = _words("Zu den entsprechenden inhaltlichen Erläuterungen wird auf", which,
                           named(letters[0].sender, "gen") if one_sender else "",
                           _join([f"vom {_day(letter.date)}" for letter in letters]), "verwiesen")
        text += f"\n\n{reference}{clause if attached else ''}."
    else:
        reasons = [f"- {p.concerns or p.text[:120]}: {' '.join(p.reason.split())}" for p in proposals]
        text += "\n\nDie Gründe:\n" + "\n".join(reasons)
    return text


def _conclusion(agreement, county):
    goals = list(agreement.goals.all())
    paragraphs = []
    if goals and all(g.kind == m.Goal.Kind.QUALITATIVE for g in goals):
        paragraphs.append("Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele, sondern "
                          "qualitative Leitziele und Tendenzen. Hierauf aufbauend sollen für zukünftige "
                          "Vereinbarungen ergebnisorientierte Ziele formuliert werden.")
    elif goals:
        quantified = sum(1 for g in goals if g.target_value is not None)
        paragraphs.append(f"Die vorliegende Zielvereinbarung enthält {len(goals)} Ziele, davon {quantified} mit "
                          f"zahlenmäßigen Zielwerten.")
    else:
        paragraphs.append(f"Die vorliegende Zielvereinbarung für das Jahr {agreement.year} enthält keine Ziele.")
    if county is not None:
        for related in agreement.related.all():
            jobcenters = [ap.party for ap in related.agreement_parties.all()
                          if ap.party.kind == m.Party.Kind.JOBCENTER]
            if related.year != agreement.year or not jobcenters or county.pk not in [
                    ap.party_id for ap in related.agreement_parties.all()]:
                continue
            subject = named(county, "nom")
            subject = subject[0].upper() + subject[1:]
            if related.is_signed:
                paragraphs.append(f"{subject} hat eine ähnlich lautende Zielvereinbarung mit "
                                  f"{named(jobcenters[0], 'dat')} für das Jahr {related.year} abgeschlossen.")
            else:
                paragraphs.append(f"{subject} beabsichtigt, eine ähnlich lautende Zielvereinbarung mit "
                                  f"{named(jobcenters[0], 'dat')} für das Jahr {related.year} abzuschließen.")
    return "\n\n".join(paragraphs)


def _letter_title(letter, county):
    sender_name = named(letter.sender, "gen")
    function = (letter.sender_person.function if letter.sender_person else "").strip()
    heads = {"Landrat": "des Landrates", "Landrätin": "der Landrätin",
             "Oberbürgermeister": "des Oberbürgermeisters", "Oberbürgermeisterin": "der Oberbürgermeisterin"}
    if county is not None and letter.sender_id == county.pk and function in heads:
        return f"Anschreiben {heads[function]} vom {_day(letter.date)} an {named(letter.recipient, 'acc')}"
    return f"Schreiben {sender_name} vom {_day(letter.date)}"


def _anlagen(agreement, land, county):
    """[(title, document)]: the signed agreement, its annex, the letters by date, the statements' files."""
    anlagen, seen = [], set()

    def add(title, document):
        if document is not None and document.pk not in seen:
            seen.add(document.pk)
            anlagen.append((title[:MAX_TITLE], document))

    if agreement.signed_file is not None:
        parties = " – ".join(display_name(p) for p in (land, county) if p is not None)
        add(_words("Zielvereinbarung", parties, str(agreement.year)), agreement.signed_file)
    annexes = [d for d in agreement.documents.all() if d.kind == m.Document.Kind.ANNEX]
    for document in annexes:
        add("Anlage zur Zielvereinbarung" if len(annexes) == 1 else f"Anlage zur Zielvereinbarung: {document.title}",
            document)
    for letter in sorted(agreement.letters.all(), key=lambda letter: (letter.date, letter.pk)):
        add(_letter_title(letter, county), letter.document)
    for statement in sorted(agreement.statements.all(), key=lambda s: (s.date, s.pk)):
        suffix = " (Anlage zur Zielvereinbarung)" if statement.include_as_annex else ""
        add(f"Stellungnahme {named(statement.party, 'gen')} vom {_day(statement.date)}{suffix}", statement.document)
    return anlagen


def _agreement_for_draft(agreement):
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


@record_language()
def draft_from_agreement(agreement, *, department, date):
    """The pre-filled texts of a Vorlage on the agreement: {name, occasion, sections, conclusion, anlagen}."""
    with translation.override("de"):
        agreement = _agreement_for_draft(agreement)
        agreement_parties = list(agreement.agreement_parties.all())
        land = _party_of(agreement_parties, m.AgreementParty.Role.LAND)
        county = department.party if any(ap.party_id == department.party_id for ap in agreement_parties) else None
        steps = list(agreement.steps.all())
        occasion, used = _occasion(agreement, land, county, steps)
        anlagen = _anlagen(agreement, land, county)
        has_annex = any(d.kind == m.Document.Kind.ANNEX for d in agreement.documents.all())
        framework = "\n\n".join(p for p in (
            _goals_text(agreement), _offers_text(agreement, land, has_annex),
            _proposals_text(agreement, land, county),
        ) if p)
        return {
            "name": _title(agreement, land, county),
            "occasion": occasion,
            "sections": [
                ("I. Rechtliche Grundlagen", _legal_text(agreement)),
                ("II. Verfahren", _procedure_text(steps, used, date, bool(agreement.signatures.all()))),
                ("III. Rahmenbedingungen und Inhalte", framework),
            ],
            "conclusion": _conclusion(agreement, county),
            "anlagen": anlagen,
        }
