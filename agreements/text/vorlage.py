"""The Vorlage's draft phrased in German from its facts: pure functions, no database.

`services/vorlage_facts.gather` reads an agreement's records into the frozen dataclasses of `text.facts`;
`draft(facts, date)` writes the pre-filled texts of the committee paper from them (title, Anlass, Sachverhalt I–III,
Fazit, Anlagen) with the German words of `text.german`. The paper is German whatever language its author reads the
interface in, so nothing here is translated.
"""

from .facts import GoalKind, GoalLevel, Party, PartyKind, StepKind
from .german import (
    ARTICLES,
    ASSESSMENT_SENTENCES,
    capitalised,
    count_word,
    counted,
    date_phrase,
    day,
    display_name,
    gender,
    join,
    named,
    person_dative,
    step_sentence,
    words,
)

# --- Titel und Anlass -------------------------------------------------------------------------------------------


def title(facts):
    first = f"Zielsteuerung {facts.year} in der Grundsicherung für Arbeitsuchende"
    if facts.land is not None and facts.county is not None:
        return (f"{first}\n- Abschluss einer Zielvereinbarung zwischen {named(facts.land, 'dat')} und "
                f"{named(facts.county, 'dat')} als kommunaler Träger des Jobcenters für das Jahr {facts.year}")
    parties = join(named(p, "dat") for p in facts.parties)
    return f"{first}\n- Abschluss einer Zielvereinbarung zwischen {parties} für das Jahr {facts.year}"


def _partner(party):
    """The partner in the predecessor's sentence: the ministry by its full name with the short one in brackets."""
    if party.kind == PartyKind.MINISTRY and party.short_name:
        return f"{ARTICLES['dat'][gender(party)]} {party.name} ({party.short_name})"
    return named(party, "dat")


def _with_whom(partners):
    if len(partners) >= 2:
        return (f"sowohl mit {join([_partner(p) for p in partners[:-1]])} als auch mit "
                f"{_partner(partners[-1])}")
    return "mit " + join([_partner(p) for p in partners])


def _predecessor_goals_sentence(predecessor):
    if predecessor.same_goals:
        subject = "Diese Vereinbarungen enthielten"
    elif predecessor.agreements == 1:
        subject = "Diese Vereinbarung enthielt"
    else:
        subject = f"Die Vereinbarung mit {_partner(predecessor.partners[-1])} enthielt"
    titles = [g.title for g in predecessor.goals]
    if len(titles) == 1:
        article = "das gleichlautende" if predecessor.same_goals else "das"
        return f"{subject} {article} Ziel „{titles[0]}“ für das Jahr {predecessor.year}."
    article = "die gleichlautenden" if predecessor.same_goals else "die"
    return f"{subject} {article} Ziele {join(f'„{t}“' for t in titles)}."


def _assessment_sentences(goals):
    """What became of each goal, by its latest assessment; goals never assessed are not mentioned."""
    return [
        f"Dieses Ziel {ASSESSMENT_SENTENCES[g.latest_status]}." if len(goals) == 1
        else f"Das Ziel „{g.title}“ {ASSESSMENT_SENTENCES[g.latest_status]}."
        for g in goals if g.latest_status is not None
    ]


def predecessor_text(facts):
    """'Bereits im Jahr 2011 hat der Kreis … eine erste Zielvereinbarung abgeschlossen.', its goals, their fate."""
    predecessor = facts.predecessor
    if predecessor is None or facts.county is None:
        return ""
    first = " erste" if predecessor.first else ""
    sentences = [f"Bereits im Jahr {predecessor.year} hat {named(facts.county, 'nom')} "
                 f"{_with_whom(predecessor.partners)} eine{first} Zielvereinbarung abgeschlossen."]
    if predecessor.goals:
        sentences.append(_predecessor_goals_sentence(predecessor))
        sentences.extend(_assessment_sentences(predecessor.goals))
    return " ".join(sentences)


def signature_text(facts):
    if not facts.signatures:
        return ""
    names = [person_dative(s.person, s.name, s.function) for s in facts.signatures]
    land, county = facts.land, facts.county
    between = (f"zwischen {named(land, 'dat')} und {named(county, 'dat')} "
               if land is not None and county is not None else "")
    complete = len(facts.signatures) >= len(facts.parties)
    return (f"Die Zielvereinbarung {between}ist {'inzwischen' if complete else 'bisher'} von {join(names)} "
            f"unterzeichnet worden.")


def _negotiation_start(steps):
    begins = [s for s in steps if s.title.lower().startswith(("beginn der verhandlung", "verhandlungsbeginn"))]
    if begins:
        return begins[0]
    return next((s for s in steps if s.kind == StepKind.DRAFT_SENT), None)


def occasion(facts):
    """The Anlass, and the steps it reports (the Verfahren leaves them out)."""
    paragraphs = [predecessor_text(facts)]
    reference_values = next((s for s in facts.steps if s.kind == StepKind.REFERENCE_VALUES), None)
    if reference_values is not None:
        land = facts.land
        who = (f"teilte {named(land, 'nom')} die Referenzwerte und die dazugehörigen Korridore" if land
               else "wurden die Referenzwerte und die dazugehörigen Korridore")
        verb = "mit" if land else "mitgeteilt"
        paragraphs.append(step_sentence(
            reference_values, f"%(when)s {who} für die Zielvereinbarung {facts.year} {verb}."))
    start = _negotiation_start(facts.steps)
    if start is not None:
        opening = f"%(when)s begannen die Verhandlungen über die Inhalte der Zielvereinbarung {facts.year}."
        if start.automatic:
            # A recorded step (a Fassung sent) is told by the Verfahren; the Anlass only dates the beginning.
            paragraphs.append(opening % {"when": date_phrase(start)})
            start = None
        else:
            paragraphs.append(step_sentence(start, opening))
    paragraphs.append(signature_text(facts))
    return "\n\n".join(p for p in paragraphs if p), [s for s in (reference_values, start) if s is not None]


# --- Sachverhalt ------------------------------------------------------------------------------------------------


def legal_text(facts):
    paragraphs = [b.text or f"{b.citation}{' – ' + b.title if b.title else ''}" for b in facts.legal_bases]
    if facts.legal_basis_note:
        paragraphs.append(facts.legal_basis_note.strip())
    return "\n\n".join(paragraphs)


_NOT_IN_PROCEDURE = {StepKind.STATUS, StepKind.REVIEW, StepKind.PROPOSAL, StepKind.PROPOSAL_DECIDED}


def _party_called(facts, name):
    """The party a recorded step names (by its name as it was then), found among the agreement's parties and
    those of its statements and letters, for its article and its name in the paper; one not found keeps the name
    (its article then by its first word)."""
    known = (*facts.parties, *(s.party for s in facts.statements),
             *(p for letter in facts.letters for p in (letter.sender, letter.recipient)))
    for party in known:
        if name and name in (party.name, party.short_name):
            return party
    return Party(pk=0, name=name or "")


def _sent(facts, step, when):
    data = step.data
    recipients = [named(_party_called(facts, name), "dat") for name in data.get("recipients") or ()]
    return words(f"{when} übersandte {named(_party_called(facts, data.get('author')), 'nom')}", join(recipients),
                 f"Fassung {data.get('number')} der Zielvereinbarung.")


_DECIDED = {"uebernommen": "übernahm {deciding} den Vorschlag {party} „{text}“.",
            "teilweise": "entschied {deciding}, den Vorschlag {party} „{text}“ teilweise zu übernehmen.",
            "nicht_uebernommen": "entschied {deciding}, den Vorschlag {party} „{text}“ nicht zu übernehmen."}


def _decided(facts, step, when):
    data = step.data
    template = _DECIDED.get(data.get("decision"))
    if template is None:
        return ""
    return f"{when} " + template.format(
        deciding=named(_party_called(facts, data.get("deciding")), "nom"),
        party=named(_party_called(facts, data.get("party")), "gen"),
        text=" ".join(str(data.get("text")).split()).rstrip("."))


def _accepted(facts, step, when):
    return f"{when} nahm {named(_party_called(facts, step.data.get('party')), 'nom')} Fassung " \
           f"{step.data.get('number')} an."


def _signed(facts, step, when):
    data = step.data
    place = f" in {data['place']}" if data.get("place") else ""
    return words(when, "unterzeichnete", data.get("function"), data.get("name"),
                 f"für {named(_party_called(facts, data.get('party')), 'acc')}{place} die Zielvereinbarung.")


def _reopened(facts, step, when):
    # The fact, not the reason typed with it (like a Fassung's note, it is no part of the paper's text).
    return f"{when} hob {named(_party_called(facts, step.data.get('party')), 'nom')} die Abstimmung des Textes " \
           "wieder auf; die Verhandlung wurde fortgesetzt."


def _statement(facts, step, when):
    annex = " Sie ist der Zielvereinbarung als Anlage beigefügt." if step.data.get("annex") else ""
    return f"{when} gab {named(_party_called(facts, step.data.get('party')), 'nom')} eine Stellungnahme ab.{annex}"


def _letter(facts, step, when):
    data = step.data
    subject = " ".join(str(data.get("subject") or "").split())
    return words(f"{when} schrieb {named(_party_called(facts, data.get('sender')), 'nom')} an",
                 f"{named(_party_called(facts, data.get('recipient')), 'acc')}"
                 + (f" („{subject}“)." if subject else "."))


# The recorded steps the Verfahren tells, each phrased from its data; the other recorded steps (created, status,
# proposals made, the signed file's checksum, Vorlagen, reviews) are no part of the procedure that led to the text.
PROCEDURE_SENTENCES = {
    "version.sent": _sent,
    "proposal.decided": _decided,
    "version.accepted": _accepted,
    "agreement.agreed": lambda facts, step, when: f"{when} wurde der Text der Zielvereinbarung abgestimmt.",
    "agreement.reopened": _reopened,
    "signature.made": _signed,
    "statement.recorded": _statement,
    "letter.registered": _letter,
}


def _recorded_sentences(facts, steps):
    """The recorded steps in prose; the agreement of the text directly after its acceptance as 'Damit …'."""
    sentences, previous = [], None
    for step in steps:
        if step.action == "agreement.agreed" and previous is not None and previous.action == "version.accepted" \
                and previous.date == step.date:
            sentences[-1] += " Damit war der Text der Zielvereinbarung abgestimmt."
        else:
            sentence = PROCEDURE_SENTENCES[step.action](facts, step, date_phrase(step))
            if sentence:
                sentences.append(sentence)
        previous = step
    return sentences


def procedure_text(facts, used, vorlage_date):
    """Section II: the steps up to the paper's date, in date order, without those the Anlass reports. Steps entered
    by hand as the timeline tells them (without status changes, proposals and reviews, the signatures once there
    are any); recorded steps phrased from their data, never with what was typed along (a Fassung's note)."""
    skip = _NOT_IN_PROCEDURE | ({StepKind.SIGNATURE} if facts.signatures else set())
    paragraphs, recorded = [], []
    for step in facts.steps:
        if step in used or step.date > vorlage_date:
            continue
        if step.action:
            if step.action in PROCEDURE_SENTENCES:
                recorded.append(step)
            continue
        if recorded:
            paragraphs.extend(_recorded_sentences(facts, recorded))
            recorded = []
        if step.kind not in skip and not (step.automatic and step.kind == StepKind.OTHER):
            paragraphs.append(step_sentence(step))
    paragraphs.extend(_recorded_sentences(facts, recorded))
    return "\n\n".join(paragraphs)


def _unique(items):
    """The items without repetitions and without None, in their first order."""
    seen = []
    for item in items:
        if item is not None and item not in seen:
            seen.append(item)
    return seen


def _goal_kinds_sentence(facts):
    goals = facts.goals
    kinds = {kind: sum(1 for g in goals if g.kind == kind)
             for kind in (GoalKind.QUALITATIVE, GoalKind.QUANTITATIVE, GoalKind.MONITORING)}
    if kinds[GoalKind.QUALITATIVE] == len(goals):
        directions = _unique(g.direction_label or None for g in goals)
        return (f"Die Zielvereinbarung {facts.year} enthält keine zahlenmäßigen Zielwerte, sondern "
                f"ausschließlich qualitative Leitziele und Tendenzen"
                + (f" ({', '.join(directions)})." if directions else "."))
    parts = [counted(count, singular, plural) for count, singular, plural in (
        (kinds[GoalKind.QUANTITATIVE], "quantitatives Ziel mit Ziel- oder Referenzwert",
         "quantitative Ziele mit Ziel- oder Referenzwerten"),
        (kinds[GoalKind.QUALITATIVE], "qualitatives Leitziel", "qualitative Leitziele und Tendenzen"),
        (kinds[GoalKind.MONITORING], "Monitoring-Ziel", "Monitoring-Ziele"),
    ) if count]
    return f"Die Zielvereinbarung {facts.year} enthält {join(parts)}."


def _goal_line(goal):
    detail = [goal.level_label]
    if goal.direction_label:
        detail.append(f"Tendenz: {goal.direction_label}")
    if goal.target_value is not None:
        detail.append(f"Zielwert: {goal.target_text}")
        if goal.corridor_exception_reason:
            detail.append(f"außerhalb des Korridors, Begründung: {' '.join(goal.corridor_exception_reason.split())}")
    return f"- {goal.title} ({', '.join(detail)})"


def goals_text(facts):
    goals = facts.goals
    if not goals:
        return ""
    state = sum(1 for g in goals if g.level == GoalLevel.STATE)
    text = (f"{_goal_kinds_sentence(facts)} Vereinbart {'ist' if len(goals) == 1 else 'sind'} "
            f"{counted(len(goals), 'Ziel', 'Ziele')}, davon {counted(state, 'Landesziel', 'Landesziele')} und "
            f"{counted(len(goals) - state, 'lokales Ziel', 'lokale Ziele')}:")
    return text + "\n" + "\n".join(_goal_line(g) for g in goals)


def offers_text(facts):
    offers = facts.offers
    if not offers:
        return ""
    topics = {}
    for offer in offers:
        topics.setdefault(offer.topic, []).append(offer)
    providers = _unique(o.provider for o in offers)
    who = named(providers[0], "nom") if len(providers) == 1 else (
        named(facts.land, "nom") if facts.land else "Das Land")
    noun = "Themenschwerpunkt" if len(topics) == 1 else "Themenschwerpunkten"
    lines = [f"- {topic.number}. {topic.name} ({counted(len(items), 'Angebot', 'Angebote')})"
             for topic, items in sorted(topics.items(), key=lambda item: item[0].number)]
    text = (f"{capitalised(who)} will zu insgesamt {count_word(len(topics))} {noun} Unterstützung anbieten:\n"
            + "\n".join(lines))
    coordinated = _unique(o.coordinated_with for o in offers)
    sentences = []
    if coordinated:
        sentences.append(f"Die Unterstützungsangebote sind mit {join(named(p, 'dat') for p in coordinated)} "
                         f"abgestimmt.")
    if facts.annexes:
        sentences.append("Sie können der Übersicht entnommen werden, die der Zielvereinbarung beigefügt ist.")
    if any(o.to_be_concretised for o in offers):
        sentences.append("Die weitere inhaltliche Konkretisierung der einzelnen Angebote erfolgt im Jahresverlauf.")
    return text + ("\n\n" + " ".join(sentences) if sentences else "")


def _answer_letters_sentence(letters):
    """Where the reasons are: the answering letters, attached to the paper when every one has its file."""
    one_sender = len({letter.sender.pk for letter in letters}) == 1
    if len(letters) == 1:
        which, clause = "das Schreiben", ", das als Anlage dieser Vorlage beigefügt ist"
    else:
        which, clause = "die Schreiben", ", die als Anlagen dieser Vorlage beigefügt sind"
    reference = words("Zu den entsprechenden inhaltlichen Erläuterungen wird auf", which,
                      named(letters[0].sender, "gen") if one_sender else "",
                      join(f"vom {day(letter.date)}" for letter in letters), "verwiesen")
    attached = all(letter.document is not None for letter in letters)
    return f"{reference}{clause if attached else ''}."


def proposals_text(facts):
    proposals = facts.proposals
    if not proposals:
        return ""
    land, county = facts.land, facts.county
    lines = [f"- {p.concerns or ' '.join(p.text.split())[:120]} ({p.decision_label})" for p in proposals]
    text = words("Einige", f"durch {named(county, 'acc')}" if county else "", "vorgeschlagenen Inhalte wurden",
                 f"durch {named(land, 'acc')}" if land else "", "nicht oder nicht vollständig übernommen:")
    text += "\n" + "\n".join(lines)
    letters = sorted({p.answer_letter for p in proposals if p.answer_letter is not None},
                     key=lambda letter: (letter.date, letter.pk))
    if letters:
        return f"{text}\n\n{_answer_letters_sentence(letters)}"
    reasons = [f"- {p.concerns or p.text[:120]}: {' '.join(p.reason.split())}" for p in proposals]
    return text + "\n\nDie Gründe:\n" + "\n".join(reasons)


# --- Fazit und Anlagen ------------------------------------------------------------------------------------------


def _goals_conclusion(facts):
    goals = facts.goals
    if goals and all(g.kind == GoalKind.QUALITATIVE for g in goals):
        return ("Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele, sondern qualitative "
                "Leitziele und Tendenzen. Hierauf aufbauend sollen für zukünftige Vereinbarungen "
                "ergebnisorientierte Ziele formuliert werden.")
    if goals:
        quantified = sum(1 for g in goals if g.target_value is not None)
        return (f"Die vorliegende Zielvereinbarung enthält {counted(len(goals), 'Ziel', 'Ziele')}, davon "
                f"{counted(quantified, 'mit zahlenmäßigem Zielwert', 'mit zahlenmäßigen Zielwerten')}.")
    return f"Die vorliegende Zielvereinbarung für das Jahr {facts.year} enthält keine Ziele."


def conclusion(facts):
    paragraphs = [_goals_conclusion(facts)]
    if facts.county is not None:
        subject = capitalised(named(facts.county, "nom"))
        for related in facts.related:
            with_whom = f"{named(related.jobcenter, 'dat')} für das Jahr {related.year}"
            paragraphs.append(
                f"{subject} hat eine ähnlich lautende Zielvereinbarung mit {with_whom} abgeschlossen."
                if related.signed else
                f"{subject} beabsichtigt, eine ähnlich lautende Zielvereinbarung mit {with_whom} abzuschließen.")
    return "\n\n".join(paragraphs)


_HEADS_GENITIVE = {"Landrat": "des Landrates", "Landrätin": "der Landrätin",
                   "Oberbürgermeister": "des Oberbürgermeisters", "Oberbürgermeisterin": "der Oberbürgermeisterin"}


def letter_title(letter, county):
    """'Anschreiben des Landrates vom … an das MAIS NRW' for the county head's letters, else 'Schreiben des …'."""
    function = letter.sender_function.strip()
    if county is not None and letter.sender.pk == county.pk and function in _HEADS_GENITIVE:
        return (f"Anschreiben {_HEADS_GENITIVE[function]} vom {day(letter.date)} an "
                f"{named(letter.recipient, 'acc')}")
    return f"Schreiben {named(letter.sender, 'gen')} vom {day(letter.date)}"


def _by_date(items):
    return sorted(items, key=lambda item: (item.date, item.pk))


def anlagen(facts):
    """[(title, document handle)] in the reference paper's order: the signed agreement, its annex, the county's
    letters to the Land (the cover letter), the letters answering proposals, the statements attached to the
    agreement (titled as the letter that brought the file, if one did), then the other letters and statements
    with a file, by date; a file that comes twice is listed once, where it comes first."""
    found, seen = [], set()

    def add(title, file):
        if file is not None and file.pk not in seen:
            seen.add(file.pk)
            found.append((title, file.handle))

    if facts.signed_file is not None:
        parties = " – ".join(display_name(p) for p in (facts.land, facts.county) if p is not None)
        add(words("Zielvereinbarung", parties, str(facts.year)), facts.signed_file)
    for annex in facts.annexes:
        add("Anlage zur Zielvereinbarung" if len(facts.annexes) == 1 else f"Anlage zur Zielvereinbarung: {annex.title}",
            annex.document)
    letters = _by_date(facts.letters)
    county, land = facts.county, facts.land
    for letter in letters:
        if county is not None and letter.sender.pk == county.pk and (land is None or letter.recipient.pk == land.pk):
            add(letter_title(letter, county), letter.document)
    for letter in letters:
        if letter.pk in facts.answer_letter_pks:
            add(letter_title(letter, county), letter.document)
    letter_of_file = {letter.document.pk: letter for letter in reversed(letters) if letter.document is not None}
    statements = _by_date(facts.statements)
    for statement in statements:
        if statement.include_as_annex and statement.document is not None:
            letter = letter_of_file.get(statement.document.pk)
            own = f"Stellungnahme {named(statement.party, 'gen')} vom {day(statement.date)}"
            add(letter_title(letter, county) if letter is not None else f"{own} (Anlage zur Zielvereinbarung)",
                statement.document)
    for letter in letters:
        add(letter_title(letter, county), letter.document)
    for statement in statements:
        add(f"Stellungnahme {named(statement.party, 'gen')} vom {day(statement.date)}", statement.document)
    return found


# --- The whole draft --------------------------------------------------------------------------------------------


def draft(facts, vorlage_date):
    """The pre-filled texts of a Vorlage dated `vorlage_date`: {name, occasion, sections, conclusion, anlagen}."""
    anlass, used = occasion(facts)
    framework = "\n\n".join(p for p in (goals_text(facts), offers_text(facts), proposals_text(facts)) if p)
    return {
        "name": title(facts),
        "occasion": anlass,
        "sections": [
            ("I. Rechtliche Grundlagen", legal_text(facts)),
            ("II. Verfahren", procedure_text(facts, used, vorlage_date)),
            ("III. Rahmenbedingungen und Inhalte", framework),
        ],
        "conclusion": conclusion(facts),
        "anlagen": anlagen(facts),
    }
