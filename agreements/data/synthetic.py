"""Synthetic data: one agreement MAIS NRW – county for each of the 53 NRW counties and each year.

Used for the ministry's overview pages in tests and by the benchmark: realistic in shape (goals of every kind,
offers in the seven Themenschwerpunkte, versions, proposals with decisions, procedure steps, letters,
signatures, reviews, deadlines, one Vorlage per county and year), not in wording. Every agreement's preamble says
that it is synthetic, so nobody mistakes it for a real one.

Rules the generator keeps:
- Deterministic for a seed: the same arguments on the same database give the same rows and counts.
- Fast: rows are written with bulk_create, a few statements per model for all agreements together; only the
  version snapshots are built per agreement, by the same function the app uses (agreement_snapshot).
- The models' write guards (signed agreements, released Vorlagen) hold: bulk_create does not go through
  save(), and every row is written while its agreement and Vorlage are still drafts; the final statuses come
  last, as QuerySet.update().
- A county and year that already have an agreement with the ministry (the demo's Kreis Mettmann 2012, an
  earlier run) are skipped, so a second run adds nothing.
"""

import copy
import datetime
import random
from collections import Counter, defaultdict
from decimal import Decimal

from django.db import transaction

from agreements import models as m
from agreements.data import reference_data
from agreements.data.catalogue import BERLIN, MINISTRY_LEGAL_BASES, NOTED_RESOLUTION, TOPICS
from agreements.services.versions import agreement_snapshot

S = m.Agreement.Status
G = m.Goal

SYNTHETIC_NOTE = "Synthetische Daten für Übersichten und Lasttests; keine echte Zielvereinbarung."

# (kind, level, area, direction, indicator code, title, unit). The first three are the Landesziele every
# agreement has; the local goals are drawn from the rest, the first ones more often, so the counties' goal
# sets overlap without being equal.
STATE_GOALS = (
    (G.Kind.QUALITATIVE, G.Level.STATE, G.Area.KDU, G.Direction.SENKUNG, "K1E1",
     "Senkung der Summe der Leistungen für Unterkunft und Heizung", ""),
    (G.Kind.QUANTITATIVE, G.Level.STATE, G.Area.K2, G.Direction.STEIGERUNG, "K2",
     "Verbesserung der Integration in Erwerbstätigkeit", "%"),
    (G.Kind.QUANTITATIVE, G.Level.STATE, G.Area.K3, G.Direction.SENKUNG, "K3",
     "Vermeidung von langfristigem Leistungsbezug", "%"),
)
LOCAL_GOALS = (
    (G.Kind.QUALITATIVE, G.Level.LOCAL, G.Area.P16A, G.Direction.OPTIMIERUNG, None,
     "Optimierung der kommunalen Eingliederungsleistungen", ""),
    (G.Kind.QUANTITATIVE, G.Level.LOCAL, G.Area.K2, G.Direction.STEIGERUNG, "K2E4",
     "Steigerung der Integrationsquote der Alleinerziehenden", "%"),
    (G.Kind.MONITORING, G.Level.LOCAL, G.Area.K1, G.Direction.BEOBACHTUNG, "K1E2",
     "Beobachtung der Zahl der erwerbsfähigen Leistungsberechtigten", "%"),
    (G.Kind.QUALITATIVE, G.Level.LOCAL, G.Area.OTHER, G.Direction.EVALUATION, None,
     "Evaluation der Schuldner- und Suchtberatung", ""),
    (G.Kind.MONITORING, G.Level.LOCAL, G.Area.KDU, G.Direction.BEOBACHTUNG, None,
     "Beobachtung der Angemessenheitsgrenzen für Unterkunftskosten", "Euro"),
    (G.Kind.QUANTITATIVE, G.Level.LOCAL, G.Area.K3, G.Direction.STEIGERUNG, "K3E2",
     "Steigerung der Aktivierungsquote der Langzeitleistungsbezieher", "%"),
    (G.Kind.QUALITATIVE, G.Level.LOCAL, G.Area.K2, G.Direction.OPTIMIERUNG, "K2E3",
     "Optimierung der Nachhaltigkeit der Integrationen", ""),
    (G.Kind.QUANTITATIVE, G.Level.LOCAL, G.Area.P16A, G.Direction.STEIGERUNG, None,
     "Steigerung der Zahl der Beratungen nach § 16a SGB II", "Personen"),
)
LOCAL_GOAL_WEIGHTS = (12, 5, 3, 2, 2, 1, 1, 1)

# Final status by age of the year (0 = the newest generated year): the newest are still negotiated, older
# ones are in effect, evaluated or closed; a few were withdrawn or sent back unsigned.
STATUS_WEIGHTS = {
    0: ((S.DRAFT, 10), (S.NEGOTIATION, 30), (S.AGREED, 20), (S.SIGNED, 15), (S.IN_EFFECT, 20),
        (S.WITHDRAWN, 2), (S.NOT_SIGNED, 3)),
    1: ((S.SIGNED, 10), (S.IN_EFFECT, 40), (S.EVALUATED, 30), (S.CLOSED, 10), (S.WITHDRAWN, 5),
        (S.NOT_SIGNED, 5)),
    2: ((S.EVALUATED, 35), (S.CLOSED, 50), (S.WITHDRAWN, 5), (S.NOT_SIGNED, 10)),
}
STATUS_REASONS = {
    S.WITHDRAWN: "Die Verhandlungen wurden ohne Ergebnis beendet.",
    S.NOT_SIGNED: "Das Ministerium hat die Vereinbarung nicht unterzeichnet zurückgesandt.",
}
NEGOTIATED = (S.NEGOTIATION, S.AGREED, S.SIGNED, S.IN_EFFECT, S.EVALUATED, S.CLOSED, S.WITHDRAWN, S.NOT_SIGNED)
FINALISED = (S.AGREED, S.SIGNED, S.IN_EFFECT, S.EVALUATED, S.CLOSED, S.NOT_SIGNED)

SECTIONS = (
    ("§ 1 Gegenstand", "Gegenstand der Vereinbarung sind die Ziele des kommunalen Trägers für das Jahr {year}."),
    ("§ 2 Ziele", "Die Partner vereinbaren die in der Zielübersicht genannten Landesziele und lokalen Ziele."),
    ("§ 3 Unterstützung durch das Land", "Das Land unterstützt den kommunalen Träger mit den Angeboten der "
                                         "Themenschwerpunkte."),
    ("§ 4 Zielnachhaltung", "Die Zielerreichung wird unterjährig und zum Jahresende gemeinsam nachgehalten."),
)

PROPOSAL_TEXTS = (
    "Aufnahme eines lokalen Ziels zur Integration junger Menschen unter 25 Jahren.",
    "Die Stellungnahme der Liga der Wohlfahrtsverbände wird als Anlage beigefügt.",
    "Der Korridor für die Integrationsquote wird um einen Prozentpunkt abgesenkt.",
    "Die Zielnachhaltung erfolgt gemeinsam mit dem Jobcenter und der Regionaldirektion.",
    "Das Land stellt zusätzliche Mittel für öffentlich geförderte Beschäftigung bereit.",
)
REASONS = {
    m.Proposal.Decision.PARTLY: "Der Vorschlag wurde in geänderter Fassung in § 2 aufgenommen.",
    m.Proposal.Decision.REJECTED: "Der Vorschlag betrifft Aufgaben außerhalb dieser Vereinbarung.",
}

GIVEN_NAMES = ("Anna", "Bernd", "Claudia", "Dieter", "Eva", "Frank", "Gabriele", "Hans", "Ingrid", "Jörg",
               "Karin", "Lothar", "Monika", "Norbert", "Petra", "Rainer", "Sabine", "Thomas", "Ursula", "Werner")
FAMILY_NAMES = ("Becker", "Hoffmann", "Klein", "Koch", "Krüger", "Lange", "Meyer", "Müller", "Neumann",
                "Richter", "Schäfer", "Schmitz", "Schneider", "Schulz", "Wagner", "Weber", "Wolf", "Zimmermann")


def _day(year, month, day):
    return datetime.date(year, month, day)


def _moment(date, hour=10):
    return datetime.datetime(date.year, date.month, date.day, hour, tzinfo=BERLIN)


def _place(county):
    return county.name.removeprefix("Stadt ").removeprefix("Kreis ")


def _pick(rng, weights):
    values, w = zip(*weights, strict=True)
    return rng.choices(values, weights=w)[0]


class _Generator:
    def __init__(self, *, years, goals_per_agreement, versions, steps, letters, vorlagen, seed):
        self.years = sorted(set(years))
        self.goals_per_agreement = goals_per_agreement
        self.versions = versions
        self.steps = steps
        self.letters = letters
        self.vorlagen = vorlagen
        self.rng = random.Random(seed)
        self.counts = Counter()

    # Parties, people and catalogues ------------------------------------------------------------------------

    def load_base(self):
        from agreements.management.commands.load_reference import load_reference

        load_reference()
        keys = [row[0] for row in reference_data.COUNTIES]
        self.counties = list(m.Party.objects.filter(key__in=keys).order_by("key"))
        self.ministry = m.Party.objects.get(key="mais-nrw")
        self.rd = m.Party.objects.get(key="rd-nrw")
        existing_topics = set(m.Topic.objects.values_list("number", flat=True))
        self._bulk(m.Topic, [m.Topic(number=n, name=name) for n, name in TOPICS if n not in existing_topics])
        self.topics = list(m.Topic.objects.filter(number__in=[n for n, _ in TOPICS]).order_by("number"))
        self.indicators = {i.code: i for i in m.Indicator.objects.all()}
        self.legal_bases = list(m.LegalBasis.objects.filter(citation__in=MINISTRY_LEGAL_BASES))
        self.load_people()

    def _person(self, party, function, department=None):
        return m.Person(
            party=party, department=department, function=function,
            form_of_address=self.rng.choice([m.Person.FormOfAddress.FRAU, m.Person.FormOfAddress.HERR]),
            given_name=self.rng.choice(GIVEN_NAMES), family_name=self.rng.choice(FAMILY_NAMES),
        )

    def load_people(self):
        """Department 50, the head of the county, a Bearbeiter/in, the Sozialausschuss: reused when present."""
        county_ids = [c.pk for c in self.counties]
        departments = {
            d.party_id: d for d in m.Department.objects.filter(party_id__in=county_ids, number="50")
        }
        self._bulk(m.Department, [
            m.Department(party=c, number="50", name="Sozialamt") for c in self.counties if c.pk not in departments
        ])
        self.departments = {
            d.party_id: d for d in m.Department.objects.filter(party_id__in=county_ids, number="50")
        }
        committees = set(m.Committee.objects.filter(
            party_id__in=county_ids, name="Sozialausschuss").values_list("party_id", flat=True))
        self._bulk(m.Committee, [
            m.Committee(party=c, name="Sozialausschuss", short_name="SozA") for c in self.counties
            if c.pk not in committees
        ])
        self.committees = {
            c.party_id: c for c in m.Committee.objects.filter(party_id__in=county_ids, name="Sozialausschuss")
        }

        heads = ("Landrat", "Landrätin", "Oberbürgermeister", "Oberbürgermeisterin")
        clerks = ("Bearbeiter/in", "Bearbeiterin", "Bearbeiter")
        people = defaultdict(dict)
        for person in m.Person.objects.filter(party_id__in=[*county_ids, self.ministry.pk]).order_by("pk"):
            if person.function in heads:
                people[person.party_id].setdefault("head", person)
            elif person.function in clerks:
                people[person.party_id].setdefault("clerk", person)
            elif person.function == "Staatssekretär":
                people[person.party_id].setdefault("head", person)
        new = []
        if "head" not in people[self.ministry.pk]:
            new.append(self._person(self.ministry, "Staatssekretär"))
        for county in self.counties:
            if "head" not in people[county.pk]:
                kreis = county.kind == m.Party.Kind.KREIS
                new.append(self._person(county, "Landrat" if kreis else "Oberbürgermeister"))
            if "clerk" not in people[county.pk]:
                new.append(self._person(county, "Bearbeiter/in", self.departments[county.pk]))
        self._bulk(m.Person, new)
        for person in new:
            people[person.party_id]["clerk" if person.function == "Bearbeiter/in" else "head"] = person
        self.people = people

    # Agreements --------------------------------------------------------------------------------------------

    def _bulk(self, model, objs):
        if objs:
            model.objects.bulk_create(objs, batch_size=500)
            self.counts[model._meta.model_name] += len(objs)
        return objs

    def _existing_pairs(self):
        """(county id, year) → agreement id of agreements with the ministry that exist already."""
        rows = m.AgreementParty.objects.filter(
            party__in=self.counties, agreement__year__in=range(self.years[0] - 1, self.years[-1] + 1),
            agreement__agreement_parties__party=self.ministry,
        ).values_list("party_id", "agreement__year", "agreement_id").order_by("agreement_id")
        pairs = {}
        for party_id, year, agreement_id in rows:
            pairs.setdefault((party_id, year), agreement_id)
        return pairs

    def create_agreements(self):
        existing = self._existing_pairs()
        newest = self.years[-1]
        self.items = []  # one dict per new agreement: agreement, county, status
        for year in self.years:
            batch = []
            for county in self.counties:
                if (county.pk, year) in existing:
                    self.counts["skipped"] += 1
                    continue
                status = _pick(self.rng, STATUS_WEIGHTS[min(newest - year, 2)])
                agreement = m.Agreement(
                    title=f"Zielvereinbarung {year} MAIS NRW – {county.name}",
                    year=year, period_start=_day(year, 1, 1), period_end=_day(year, 12, 31),
                    preamble=f"{SYNTHETIC_NOTE} Kommunaler Träger: {county.name}.",
                    predecessor_id=existing.get((county.pk, year - 1)),
                )
                batch.append(agreement)
                self.items.append({"agreement": agreement, "county": county, "status": status})
            self._bulk(m.Agreement, batch)
            existing.update({(item["county"].pk, year): item["agreement"].pk
                             for item in self.items if item["agreement"].year == year})

        Role = m.AgreementParty.Role
        self._bulk(m.AgreementParty, [
            ap for item in self.items for ap in (
                m.AgreementParty(agreement=item["agreement"], party=self.ministry, role=Role.LAND, order=0),
                m.AgreementParty(agreement=item["agreement"], party=item["county"], role=Role.KOMMUNALER_TRAEGER,
                                 order=1),
            )
        ])
        through = m.Agreement.legal_bases.through
        self._bulk(through, [
            through(agreement_id=item["agreement"].pk, legalbasis_id=lb.pk)
            for item in self.items for lb in self.legal_bases
        ])
        self._bulk(m.AgreementSection, [
            m.AgreementSection(agreement=item["agreement"], order=order, heading=heading,
                               text=text.format(year=item["agreement"].year))
            for item in self.items for order, (heading, text) in enumerate(SECTIONS, start=1)
        ])

    def _goal(self, agreement, order, template):
        kind, level, area, direction, code, title, unit = template
        goal = m.Goal(
            agreement=agreement, order=order, kind=kind, level=level, area=area, direction=direction,
            indicator=self.indicators.get(code) if code else None, title=title, unit=unit,
            text=f"{title} im Jahr {agreement.year}.",
        )
        if kind == G.Kind.QUANTITATIVE:
            reference = Decimal(self.rng.randint(-80, 80)) / 10
            goal.reference_value = reference
            goal.corridor_low = reference - Decimal(self.rng.randint(5, 20)) / 10
            goal.corridor_high = reference + Decimal(self.rng.randint(5, 20)) / 10
            goal.target_value = reference
        elif kind == G.Kind.MONITORING:
            goal.reference_value = Decimal(self.rng.randint(100, 9000)) / 10
        return goal

    def create_goals_and_offers(self):
        goals = []
        for item in self.items:
            n = self.goals_per_agreement
            templates = list(STATE_GOALS[:n])
            # Weighted sampling without replacement (Efraimidis–Spirakis): popular goals come first more often.
            keyed = sorted(zip(LOCAL_GOAL_WEIGHTS, LOCAL_GOALS, strict=True),
                           key=lambda pair: -self.rng.random() ** (1 / pair[0]))
            local = [template for _weight, template in keyed]
            while len(templates) < n:
                templates.extend(local[: n - len(templates)])
            item["goals"] = [self._goal(item["agreement"], order, t) for order, t in enumerate(templates, start=1)]
            goals.extend(item["goals"])
        self._bulk(m.Goal, goals)

        offers = []
        statuses = [s for s, _ in m.SupportOffer.Status.choices]
        for item in self.items:
            topics = sorted(self.rng.sample(self.topics, self.rng.randint(2, 5)), key=lambda t: t.number)
            for order, topic in enumerate(topics, start=1):
                for extra in range(1 + (self.rng.random() < 0.2)):
                    offers.append(m.SupportOffer(
                        agreement=item["agreement"], topic=topic, order=order * 10 + extra,
                        title=f"{topic.name}: {'Fachtagung' if extra else 'Erfahrungsaustausch'}",
                        text=f"Angebot des MAIS NRW im Themenschwerpunkt {topic.number}.",
                        provider=self.ministry, coordinated_with=self.rd if self.rng.random() < 0.5 else None,
                        status=self.rng.choice(statuses),
                    ))
        self._bulk(m.SupportOffer, offers)

    def create_versions(self):
        versions = []
        for item in self.items:
            agreement, county = item["agreement"], item["county"]
            count = self.versions if item["status"] in NEGOTIATED else 0
            item["versions"] = []
            if not count:
                continue
            final = agreement_snapshot(agreement)
            year = agreement.year
            for number in range(1, count + 1):
                snapshot = copy.deepcopy(final)
                # Earlier drafts had fewer goals and offers: a redline between versions shows the additions.
                missing = count - number
                if missing:
                    snapshot["goals"] = snapshot["goals"][: max(1, len(snapshot["goals"]) - missing)]
                    snapshot["offers"] = snapshot["offers"][: max(0, len(snapshot["offers"]) - missing)]
                is_final = number == count and item["status"] in FINALISED
                sent = _day(year, 1, 10) + datetime.timedelta(days=14 * (number - 1) + self.rng.randint(0, 6))
                version = m.AgreementVersion(
                    agreement=agreement, number=number, snapshot=snapshot,
                    kind=m.AgreementVersion.Kind.FINAL if is_final else m.AgreementVersion.Kind.DRAFT,
                    author_party=self.ministry if number % 2 else county, sent_at=_moment(sent),
                    note="Abgestimmte Endfassung." if is_final else "",
                )
                item["versions"].append(version)
                versions.append(version)
        self._bulk(m.AgreementVersion, versions)

    def create_letters(self):
        letters = []
        for item in self.items:
            agreement, county, year = item["agreement"], item["county"], item["agreement"].year
            count = self.letters if item["status"] in NEGOTIATED else min(self.letters, 1)
            item["letters"] = []
            for index in range(count):
                from_ministry = index % 2 == 0
                if index == 0:
                    date, subject = _day(year - 1, 11, 20), f"Referenzwerte und Korridore für {year}"
                elif index == 1:
                    date, subject = _day(year, 2, 10), f"Vorschläge zum Entwurf der Zielvereinbarung {year}"
                elif index == 2:
                    date, subject = _day(year, 3, 29), "Übernahme der Vorschläge"
                else:
                    date = _day(year, 4, 1) + datetime.timedelta(days=7 * index)
                    subject = "Rückfrage zur Zielvereinbarung" if from_ministry else "Antwort auf die Rückfrage"
                letter = m.Letter(
                    agreement=agreement, date=date, subject=subject,
                    sender=self.ministry if from_ministry else county,
                    recipient=county if from_ministry else self.ministry,
                    # Recorded by the county: what the ministry sends is incoming.
                    direction=m.Letter.Direction.INCOMING if from_ministry else m.Letter.Direction.OUTGOING,
                    reference=f"II B 1 – {year}/{county.short_name}",
                )
                item["letters"].append(letter)
                letters.append(letter)
        self._bulk(m.Letter, letters)

    def _lifecycle_steps(self, item):
        """(kind, title, date, version, letter) in order, as far as the final status got."""
        K = m.ProcedureStep.Kind
        year, status = item["agreement"].year, item["status"]
        letters = item["letters"]
        steps = [(K.REFERENCE_VALUES, "Referenzwerte mitgeteilt", _day(year - 1, 11, 20), None,
                  letters[0] if letters else None),
                 (K.MEETING, "Zielsteuerungsgespräch", _day(year - 1, 12, self.rng.randint(1, 20)), None, None)]
        for version in item["versions"]:
            steps.append((K.DRAFT_SENT, f"Fassung {version.number} übersandt", version.sent_at.date(), version, None))
        if status in NEGOTIATED and len(letters) > 1:
            steps.append((K.PROPOSAL, "Vorschläge des kommunalen Trägers", letters[1].date, None, letters[1]))
        if status in FINALISED:
            if len(letters) > 2:
                steps.append((K.PROPOSAL_DECIDED, "Antwort auf die Vorschläge", letters[2].date, None, letters[2]))
            steps.append((K.AGREED, "Text abgestimmt", _day(year, 4, 5), None, None))
        for signature in item["signatures"]:
            steps.append((K.SIGNATURE, f"Unterzeichnung durch {signature.signatory_name}", signature.date, None, None))
        if status in (S.WITHDRAWN, S.NOT_SIGNED):
            steps.append((K.STATUS, f"Status: {S(status).label}", _day(year, 5, 20), None, None))
        for review in item["reviews"]:
            steps.append((K.REVIEW, str(review.get_kind_display()), review.date, None, None))
        return steps

    def create_steps(self):
        steps, participants = [], []
        for item in self.items:
            count = self.steps if item["status"] in NEGOTIATED else min(self.steps, 2)
            lifecycle = self._lifecycle_steps(item)[:count]
            last = lifecycle[-1][2] if lifecycle else _day(item["agreement"].year, 1, 15)
            while len(lifecycle) < count:
                # Working meetings fill the year up to the requested number of steps.
                last = last + datetime.timedelta(days=10)
                lifecycle.append((m.ProcedureStep.Kind.MEETING, "Arbeitsgespräch", last, None, None))
            for kind, title, date, version, letter in lifecycle:
                step = m.ProcedureStep(
                    agreement=item["agreement"], kind=kind, title=title, date=date, version=version, letter=letter,
                    automatic=kind in (m.ProcedureStep.Kind.DRAFT_SENT, m.ProcedureStep.Kind.SIGNATURE),
                    description=f"{title} ({item['county'].name}).",
                )
                steps.append(step)
                if kind == m.ProcedureStep.Kind.MEETING:
                    participants.append((step, item["county"]))
        self._bulk(m.ProcedureStep, steps)
        through = m.ProcedureStep.participants.through
        self._bulk(through, [
            through(procedurestep_id=step.pk, party_id=party.pk)
            for step, county in participants for party in (self.ministry, county)
        ])

    def create_proposals(self):
        D = m.Proposal.Decision
        proposals = []
        for item in self.items:
            if item["status"] not in NEGOTIATED:
                continue
            letters = item["letters"]
            decided_open = item["status"] in (S.NEGOTIATION, S.WITHDRAWN)
            for text in self.rng.sample(PROPOSAL_TEXTS, self.rng.randint(1, 4)):
                weights = ((D.OPEN, 40), (D.ADOPTED, 25), (D.PARTLY, 20), (D.REJECTED, 15)) if decided_open \
                    else ((D.ADOPTED, 45), (D.PARTLY, 30), (D.REJECTED, 25))
                decision = _pick(self.rng, weights)
                decided = decision != D.OPEN
                goal = self.rng.choice(item["goals"]) if item["goals"] and self.rng.random() < 0.4 else None
                proposals.append(m.Proposal(
                    agreement=item["agreement"], party=item["county"], text=text, goal=goal,
                    concerns=goal.title if goal else "", decision=decision, reason=REASONS.get(decision, ""),
                    answer_letter=letters[2] if decided and len(letters) > 2 else None,
                    decided_at=_moment(_day(item["agreement"].year, 3, 29)) if decided else None,
                ))
        self._bulk(m.Proposal, proposals)

    def plan_signatures_and_reviews(self):
        """Signatures and reviews are built before the steps (which mention them) and saved after them."""
        for item in self.items:
            agreement, county, status, year = item["agreement"], item["county"], item["status"], item["agreement"].year
            signers = []
            if status in m.Agreement.SIGNED_STATUSES:
                signers = [county, self.ministry]
            elif status == S.NOT_SIGNED or (status == S.AGREED and self.rng.random() < 0.5):
                signers = [county]  # partly signed: the ministry's signature is missing
            item["signatures"] = []
            for offset, party in enumerate(signers):
                person = self.people[party.pk]["head"]
                item["signatures"].append(m.Signature(
                    agreement=agreement, party=party, person=person, signatory_name=person.name,
                    signatory_function=person.function,
                    date=_day(year, 4, 10) + datetime.timedelta(days=7 * offset + self.rng.randint(0, 5)),
                    place="Düsseldorf" if party == self.ministry else _place(county),
                ))
            item["reviews"] = []
            if status in (S.IN_EFFECT, S.EVALUATED, S.CLOSED):
                item["reviews"].append(m.Review(
                    agreement=agreement, kind=m.Review.Kind.INTERIM, date=_day(year, 9, self.rng.randint(1, 28)),
                    participants=f"MAIS NRW, {county.name}", minutes="Unterjährige Nachhaltung.",
                ))
            if status in (S.EVALUATED, S.CLOSED):
                item["reviews"].append(m.Review(
                    agreement=agreement, kind=m.Review.Kind.FINAL, date=_day(year + 1, 3, self.rng.randint(1, 28)),
                    participants=f"MAIS NRW, {county.name}", minutes="Jahresauswertung.",
                ))

    def create_signatures_and_reviews(self):
        A = m.Assessment.Status
        self._bulk(m.Signature, [s for item in self.items for s in item["signatures"]])
        self._bulk(m.Review, [r for item in self.items for r in item["reviews"]])
        assessments = []
        for item in self.items:
            for review in item["reviews"]:
                final = review.kind == m.Review.Kind.FINAL
                weights = ((A.ACHIEVED, 45), (A.PARTLY, 25), (A.MISSED, 20), (A.NOT_ASSESSABLE, 10)) if final \
                    else ((A.ON_TRACK, 60), (A.AT_RISK, 30), (A.NOT_ASSESSABLE, 10))
                for goal in item["goals"]:
                    status = _pick(self.rng, weights)
                    numeric = goal.reference_value is not None and status != A.NOT_ASSESSABLE
                    assessments.append(m.Assessment(
                        review=review, goal=goal, status=status,
                        actual_value=goal.reference_value + Decimal(self.rng.randint(-20, 20)) / 10 if numeric
                        else None,
                        report_month=review.date.replace(day=1), comment="",
                    ))
        self._bulk(m.Assessment, assessments)

    # Vorlagen ----------------------------------------------------------------------------------------------

    def create_vorlagen(self):
        """One Vorlage per county and year. Vorlage.reference is unique across all departments, and every
        county's Sozialamt is "50": the running numbers are therefore drawn without repetition per year."""
        used = defaultdict(set)
        for year, number in m.Vorlage.objects.filter(
                year__in=self.years, reference__startswith="50/").values_list("year", "running_number"):
            used[year].add(number)
        taken = set(m.Vorlage.objects.filter(year__in=self.years).values_list("reference", flat=True))
        numbers = {}
        for year in self.years:
            pool = [n for n in range(1, 1000) if n not in used[year]
                    and m.Vorlage.format_reference("50", n, year) not in taken]
            self.rng.shuffle(pool)
            numbers[year] = iter(pool)

        vorlagen, sections, consultations = [], [], []
        for item in self.items:
            agreement, county, year = item["agreement"], item["county"], item["agreement"].year
            number = next(numbers[year])
            signed = item["status"] in m.Agreement.SIGNED_STATUSES
            vorlage = m.Vorlage(
                reference=m.Vorlage.format_reference("50", number, year), department=self.departments[county.pk],
                year=year, running_number=number, author=self.people[county.pk]["clerk"],
                paper_type=m.Vorlage.PaperType.BESCHLUSSVORLAGE, decision_type=m.Vorlage.DecisionType.KENNTNISNAHME,
                date=_day(year, 4, 20), file_reference="50-1", agreement=agreement,
                name=(f"Zielsteuerung {year} in der Grundsicherung für Arbeitsuchende – Zielvereinbarung zwischen "
                      f"dem MAIS NRW und {county.name}"),
                resolution=NOTED_RESOLUTION,
                occasion=SYNTHETIC_NOTE, conclusion="Die Zielvereinbarung wird umgesetzt.",
            )
            item["vorlage"] = vorlage
            item["vorlage_status"] = (
                (m.Vorlage.Status.IN_CONSULTATION if year == self.years[-1] else m.Vorlage.Status.DONE)
                if signed else m.Vorlage.Status.DRAFT
            )
            vorlagen.append(vorlage)
        self._bulk(m.Vorlage, vorlagen)
        for item in self.items:
            vorlage, county = item["vorlage"], item["county"]
            for order, heading in enumerate(
                    ("I. Rechtliche Grundlagen", "II. Verfahren", "III. Inhalte der Zielvereinbarung"), start=1):
                sections.append(m.VorlageSection(vorlage=vorlage, order=order, heading=heading,
                                                 text=f"{heading} ({county.name}, {vorlage.year})."))
            done = item["vorlage_status"] == m.Vorlage.Status.DONE
            consultations.append(m.Consultation(
                paper=vorlage, committee=self.committees[county.pk], meeting_date=_day(vorlage.year, 5, 21),
                role=m.Consultation.Role.NOTICE, authoritative=True, order=1,
                result=m.Consultation.Result.NOTED if done else m.Consultation.Result.NONE,
            ))
        self._bulk(m.VorlageSection, sections)
        self._bulk(m.Consultation, consultations)

    # Statuses last -----------------------------------------------------------------------------------------

    def set_statuses(self):
        by_status = defaultdict(list)
        for item in self.items:
            by_status[item["status"]].append(item["agreement"].pk)
        for status, pks in by_status.items():
            m.Agreement.objects.filter(pk__in=pks).update(status=status, status_reason=STATUS_REASONS.get(status, ""))
        if self.vorlagen:
            released = defaultdict(list)
            for item in self.items:
                if item["vorlage_status"] != m.Vorlage.Status.DRAFT:
                    released[item["vorlage_status"], item["vorlage"].date].append(item["vorlage"].pk)
            for (status, date), pks in released.items():
                m.Vorlage.objects.filter(pk__in=pks).update(status=status, released_at=_moment(date, hour=12))

    def create_deadlines(self):
        """The deadlines every agreement has (models.Deadline): the county's draft and reports (§ 4 of the 2012
        agreement: after the first half-year and after the year), the ministry's signature. What the agreement's
        status shows to be past is done; the rest stays open (an agreement in effect owes its year-end report)."""
        K, State = m.Deadline.Kind, m.Deadline.State
        done_after = {
            K.DRAFT: set(NEGOTIATED),
            K.SIGNATURE: set(m.Agreement.SIGNED_STATUSES) | {S.NOT_SIGNED, S.WITHDRAWN},
            K.HALF_YEAR_REPORT: {S.EVALUATED, S.CLOSED, S.WITHDRAWN, S.NOT_SIGNED},
            K.YEAR_END_REPORT: {S.EVALUATED, S.CLOSED, S.WITHDRAWN, S.NOT_SIGNED},
        }
        rows = []
        for item in self.items:
            year, county = item["agreement"].year, item["county"]
            due = {K.DRAFT: _day(year, 2, 15), K.SIGNATURE: _day(year, 3, 30), K.HALF_YEAR_REPORT: _day(year, 6, 30),
                   K.YEAR_END_REPORT: _day(year + 1, 1, 31)}
            for kind, day in due.items():
                done = item["status"] in done_after[kind]
                rows.append(m.Deadline(
                    agreement=item["agreement"], kind=kind, due=day,
                    owner=self.ministry if kind == K.SIGNATURE else county,
                    state=State.DONE if done else State.OPEN, closed_at=_moment(day) if done else None,
                ))
        self._bulk(m.Deadline, rows)

    def run(self):
        self.load_base()
        self.create_agreements()
        self.create_goals_and_offers()
        self.create_versions()
        self.create_letters()
        self.plan_signatures_and_reviews()
        self.create_steps()
        self.create_proposals()
        self.create_signatures_and_reviews()
        if self.vorlagen:
            self.create_vorlagen()
        self.create_deadlines()
        self.set_statuses()
        return dict(sorted(self.counts.items()))


def generate(years=(2012,), *, goals_per_agreement=5, versions=3, steps=8, letters=3, vorlagen=True, seed=1):
    """Generate synthetic agreements for all 53 NRW counties and the given years; returns counts per model.

    The counts are keyed by model name (``agreement``, ``goal``, …, through tables by their table's model
    name); ``skipped`` counts the county-years that had an agreement with the ministry already.
    """
    if not years:
        return {}
    for name, value in (("goals_per_agreement", goals_per_agreement), ("versions", versions), ("steps", steps),
                        ("letters", letters)):
        if value < 0:
            raise ValueError(f"{name} must not be negative")
    generator = _Generator(years=years, goals_per_agreement=goals_per_agreement, versions=versions, steps=steps,
                           letters=letters, vorlagen=vorlagen, seed=seed)
    with transaction.atomic():
        return generator.run()
