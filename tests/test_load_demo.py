import datetime
import hashlib
import io
import re
from io import StringIO
from pathlib import Path

import pypdf
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from agreements.data import demo
from agreements.models import (
    Agreement,
    AgreementParty,
    AgreementVersion,
    Assessment,
    Committee,
    CommitteeMembership,
    Document,
    Goal,
    Letter,
    Membership,
    Person,
    ProcedureStep,
    Proposal,
    Signature,
    SigningKey,
    Statement,
    TimestampAuthority,
    TrustAnchor,
    Vorlage,
)
from agreements.services import signing
from agreements.services.versions import agreement_snapshot
from agreements.signing import keys

from .demo_data import demo_files

DEMO_USERNAMES = ["kreis-editor", "kreis-reader", "neuss-editor", "mais-editor", "ausschuss", "admin"]
P = ProcedureStep.Precision
K = ProcedureStep.Kind


def run_command(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_SIGNING_DIR = tmp_path / "demo-signing"
    settings.DEBUG = True
    # Six accounts get a password on every load; the production hasher would dominate the test time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def reference_loaded(db):
    call_command("load_reference", verbosity=0)


@pytest.fixture
def loaded(demo_module, demo_settings, db):
    """The demo as `load_demo` leaves it, loaded once for the module (tests/demo_data.py) and rolled back after
    each test: its files copied into the test's MEDIA_ROOT, its demo keys where the load wrote them. The tests of
    the command itself (a first load, a second run, a failed step) load it themselves."""
    demo_files(demo_module, demo_settings)
    demo_settings.DEMO_SIGNING_DIR = f"{demo_module}-signing"


@pytest.fixture
def reference_text():
    # The project carries its own copy of the reference paper (tests/data/README.md has the source).
    return (Path(__file__).resolve().parent / "data" / "reference" / "vorlage-50-015-2012.txt").read_text(
        encoding="utf-8")


@pytest.fixture
def vorlage(loaded):
    return Vorlage.objects.select_related("department__party", "author").get(reference="50/015/2012")


def agreement_2012():
    return Agreement.objects.get(year=2012, title=demo.TITLE_2012)


def paragraphs(text):
    """The reference's paragraphs, separated by one blank line, as the Vorlage stores them."""
    return "\n\n".join(p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())


def between(text, start, end):
    begin = text.index(start) + len(start)
    return text[begin:text.index(end, begin)]


def database_state():
    """Row counts of every model and every row's `modified`: any write shows up as a difference."""
    counts, modified = {}, {}
    for model in apps.get_models(include_auto_created=True):
        counts[model._meta.label] = model._default_manager.count()
        if any(f.name == "modified" for f in model._meta.concrete_fields):
            modified[model._meta.label] = dict(model._default_manager.values_list("pk", "modified"))
    users = dict(get_user_model().objects.values_list("pk", "password"))
    return counts, modified, users


# --- Loading, idempotency, the command's guards ----------------------------------------------------------


def test_it_loads(loaded):
    assert Agreement.objects.count() == 6
    agreement = agreement_2012()
    assert agreement.status == Agreement.Status.IN_EFFECT
    assert (agreement.period_start, agreement.period_end) == (datetime.date(2012, 1, 1), datetime.date(2012, 12, 31))
    assert agreement.predecessor.year == 2011
    assert agreement.predecessor.status == Agreement.Status.CLOSED
    assert sorted(agreement.legal_bases.values_list("citation", flat=True)) == sorted(
        ["§ 48b SGB II", "§ 2a AG-SGB II NRW", "§ 6 Abs. 1 Nr. 2 SGB II"]
    )
    roles = dict(AgreementParty.objects.filter(agreement=agreement).values_list("party__key", "role"))
    assert roles == {"mais-nrw": "land", "kreis-mettmann": "kommunaler_traeger"}
    assert agreement.preamble
    assert list(agreement.sections.values_list("heading", flat=True)) == [
        "§ 1 Gegenstand", "§ 2 Ziele", "§ 3 Unterstützung durch das Land", "§ 4 Zielnachhaltung", "§ 5 Laufzeit",
    ]
    assert agreement.signed_file.title == "Zielvereinbarung MAIS – Kreis Mettmann 2012"


def test_it_keeps_the_2012_goals_qualitative(loaded):
    goals = list(agreement_2012().goals.select_related("indicator"))

    assert [(g.title, g.level, g.direction) for g in goals] == [
        ("Senkung der Summe der Leistungen für Unterkunft und Heizung", "landesziel", "senkung"),
        ("Beobachtung des Langzeitleistungsbezugs", "landesziel", "beobachtung"),
        ("Optimierung der Integration Alleinerziehender", "lokal", "optimierung"),
        ("Evaluation der kommunalen Eingliederungsleistungen nach § 16a SGB II", "lokal", "evaluation"),
        ("Steigerung der Integration in öffentlich geförderte Beschäftigung", "lokal", "steigerung"),
    ]
    for goal in goals:
        goal.full_clean()
        assert goal.kind == Goal.Kind.QUALITATIVE
        assert (goal.reference_value, goal.corridor_low, goal.corridor_high, goal.target_value) == (None,) * 4
    assert (goals[0].area, goals[0].indicator.code) == (Goal.Area.KDU, "K1E1")
    assert goals[1].indicator.code == "K3"


def test_it_offers_support_in_seven_topics_marked_as_examples(loaded):
    offers = list(agreement_2012().offers.select_related("topic", "provider", "coordinated_with"))

    assert sorted({o.topic.number for o in offers}) == [1, 2, 3, 4, 5, 6, 7]
    for offer in offers:
        assert offer.text.startswith("Beispiel: ")
        assert (offer.provider.key, offer.coordinated_with.key) == ("mais-nrw", "rd-nrw")


def test_it_relates_the_jobcenter_agreements(loaded):
    agreement = agreement_2012()
    (jobcenter_agreement,) = agreement.related.all()

    assert jobcenter_agreement.status == Agreement.Status.DRAFT
    assert set(jobcenter_agreement.parties.values_list("key", flat=True)) == {
        "kreis-mettmann", "jobcenter-kreis-mettmann",
    }
    assert "ähnlich lautet" in jobcenter_agreement.preamble
    assert list(jobcenter_agreement.goals.values_list("title", flat=True)) == list(
        agreement.goals.values_list("title", flat=True)
    )
    assert jobcenter_agreement.predecessor in agreement.predecessor.related.all()


def test_it_changes_nothing_on_a_second_run(demo_settings, reference_loaded):
    first = demo.load_demo()
    before = database_state()

    second = demo.load_demo()

    assert database_state() == before
    assert sum(c["created"] for c in first["counts"].values()) > 100
    assert all(c["created"] == 0 and c["changed"] == 0 for c in second["counts"].values()), second["counts"]


def test_it_restores_a_changed_demo_value_and_only_that(loaded):
    before = database_state()
    Person.objects.filter(family_name="Gansauer").update(function="Sachbearbeiterin")

    result = demo.load_demo()

    assert Person.objects.get(family_name="Gansauer").function == "Bearbeiterin"
    assert result["counts"]["person"]["changed"] == 1
    counts, modified, users = database_state()
    assert counts["agreements.HistoricalPerson"] == before[0]["agreements.HistoricalPerson"] + 1
    changed = {label for label, rows in modified.items() if rows != before[1][label]}
    assert changed == {"agreements.Person", "agreements.HistoricalPerson"}


def test_it_refuses_without_debug(demo_settings, reference_loaded):
    demo_settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG") as error:
        run_command()

    assert "--force" in str(error.value)
    assert "Produktionsdatenbank" in str(error.value)
    assert not Agreement.objects.exists()
    assert not get_user_model().objects.exists()


def test_it_loads_without_debug_when_forced(demo_settings, reference_loaded):
    demo_settings.DEBUG = False

    run_command("--force", "--verbosity", "0")

    assert Vorlage.objects.filter(reference="50/015/2012").exists()


def test_it_skips_the_second_time_with_if_empty(demo_settings, reference_loaded):
    run_command("--if-empty", "--verbosity", "0")
    assert Agreement.objects.count() == 6
    before = database_state()

    out = run_command("--if-empty")

    assert "bereits Zielvereinbarungen" in out
    assert database_state() == before


def test_it_prints_the_logins(demo_settings, reference_loaded):
    out = run_command()

    lines = out.splitlines()
    assert any("Benutzername" in line and "Passwort" in line for line in lines)
    for username in DEMO_USERNAMES:
        (line,) = [line for line in lines if line.startswith(username + " ")]
        assert line.rstrip().endswith("demo")
    assert "Bearbeitung – Kreis Mettmann" in out


def test_it_prints_nothing_at_verbosity_0(demo_settings, reference_loaded):
    assert run_command("--verbosity", "0") == ""


def test_it_loads_the_reference_data_itself_when_missing(demo_settings, db):
    run_command("--verbosity", "0")

    assert Agreement.objects.count() == 6


def test_it_leaves_no_rows_and_no_files_when_a_step_fails(demo_settings, reference_loaded, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(demo.vorlage, "load", broken)

    with pytest.raises(RuntimeError):
        demo.load_demo()

    assert not Agreement.objects.exists()
    assert not Document.objects.exists()
    assert not [p for p in Path(demo_settings.MEDIA_ROOT).rglob("*") if p.is_file()]


# --- The Vorlage against the reference text -----------------------------------------------------------------


def test_it_reproduces_the_vorlage_header(vorlage, reference_text):
    text = reference_text
    consultation = vorlage.consultations.select_related("committee", "meeting").get()

    with translation.override("de"):
        assert re.search(r"Vorlagen Nr\. (\S+)", text).group(1) == vorlage.reference
        assert "öffentlich" in text.splitlines() and vorlage.public
        assert re.search(r"Fachbereich: (\S+)", text).group(1) == vorlage.department.name
        assert vorlage.department.number == "50"
        assert vorlage.department.party.key == "kreis-mettmann"
        assert re.search(r"Bearbeiter/in: ([^\t\n]+)", text).group(1).strip() == vorlage.author.full_name
        assert re.search(r"Datum: (\S+)", text).group(1) == f"{vorlage.date:%d.%m.%Y}"
        assert re.search(r"Az\.: (\S+)", text).group(1) == vorlage.file_reference
        # The header's decision boxes: the marked one carries "**" in the extraction.
        assert re.search(r"^- (\w+)\*\*$", text, re.MULTILINE).group(1) == vorlage.get_decision_type_display()
        assert vorlage.paper_type == Vorlage.PaperType.BESCHLUSSVORLAGE

        row = text.splitlines()[text.splitlines().index("Beratungsfolge\tTermine\tArt der Entscheidung") + 1]
        committee, date, role = row.split("\t")
        assert consultation.committee.name == committee
        assert f"{consultation.meeting_date:%d.%m.%Y}" == date
        assert consultation.get_role_display() == role
    assert consultation.authoritative
    assert consultation.result == "kenntnis_genommen"
    assert consultation.meeting.start.date() == consultation.meeting_date
    assert consultation.meeting.state == "durchgefuehrt"
    assert consultation.agenda_items.get().meeting == consultation.meeting
    assert (vorlage.year, vorlage.running_number) == (2012, 15)
    assert vorlage.reference == Vorlage.format_reference("50", 15, 2012)
    assert vorlage.status == Vorlage.Status.DONE
    assert vorlage.agreement == agreement_2012()


def test_it_reproduces_the_vorlage_title_impacts_and_resolution(vorlage, reference_text):
    # The bold title is the first block that starts a line with "**" ("Beschluss**" only ends with it).
    title_lines = re.search(r"^\*\*(.+?)\*\*", reference_text, re.MULTILINE | re.DOTALL).group(1).splitlines()
    assert vorlage.name == title_lines[0] + "\n" + " ".join(line.strip() for line in title_lines[1:])

    for field in ("financial_impact", "personnel_impact", "organisational_impact"):
        label = str(Vorlage._meta.get_field(field).verbose_name)
        assert label in reference_text
        # The extraction lost the marks; the demo assumes "nein" for a paper that is taken note of.
        assert getattr(vorlage, field) == "nein"

    lines = [line.strip() for line in reference_text.splitlines()]
    after_impacts = lines[lines.index("Organisatorische Auswirkung ja nein noch nicht zu übersehen") + 1:]
    assert next(line for line in after_impacts if line) == vorlage.resolution


def test_it_reproduces_the_vorlage_texts_verbatim(vorlage, reference_text):
    text = reference_text

    assert vorlage.occasion == paragraphs(between(text, "Anlass der Vorlage:", "Sachverhaltsdarstellung:"))
    headings = re.findall(r"^(I{1,3}\. .+)$", text, re.MULTILINE)
    sections = list(vorlage.sections.all())
    assert [s.heading for s in sections] == headings == [
        "I. Rechtliche Grundlagen", "II. Verfahren", "III. Rahmenbedingungen und Inhalte",
    ]
    for section, end in zip(sections, [*headings[1:], "Fazit:"], strict=True):
        assert section.text == paragraphs(between(text, section.heading, end))
    assert vorlage.conclusion == paragraphs(between(text, "Fazit:", "Anlagen:"))

    anlagen = [line[2:].strip() for line in text.split("Anlagen:", 1)[1].splitlines() if line.startswith("- ")]
    assert list(vorlage.anlagen.values_list("title", flat=True)) == anlagen
    assert [a.document.title for a in vorlage.anlagen.select_related("document")] == anlagen


def test_it_stores_the_anlagen_as_valid_pdfs(vorlage):
    kinds = []
    for anlage in vorlage.anlagen.select_related("document"):
        document = anlage.document
        with document.file.open("rb") as f:
            data = f.read()
        assert data.startswith(b"%PDF")
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert len(data) == document.size
        assert document.content_type == "application/pdf"
        assert document.file.name.startswith("documents/")
        reader = pypdf.PdfReader(io.BytesIO(data))
        assert 1 <= len(reader.pages) <= 2
        assert reader.metadata.title == anlage.title
        assert document.is_pdfa
        assert document.extracted_text.startswith(anlage.title)
        kinds.append(document.kind)
    assert kinds == ["zielvereinbarung", "anlage", "schreiben", "schreiben", "stellungnahme"]


# --- Negotiation, review, signatures ------------------------------------------------------------------------


def test_it_assesses_the_2011_goal_as_achieved(loaded):
    assessments = Assessment.objects.filter(review__agreement__year=2011).select_related("goal", "review")

    assert assessments.count() == 2
    for assessment in assessments:
        assert assessment.status == Assessment.Status.ACHIEVED
        assert assessment.review.kind == "jahresabschluss"
        goal = assessment.goal
        assert goal.title == "Senkung der Summe der Leistungen für Unterkunft und Heizung"
        assert (goal.kind, goal.direction, goal.area, goal.indicator.code) == ("qualitativ", "senkung", "kdu", "K1E1")
        assert goal.target_value is None


def test_it_records_proposals_with_each_decision(loaded):
    proposals = Proposal.objects.filter(agreement=agreement_2012(), party__key="kreis-mettmann")
    answer = Letter.objects.get(date=datetime.date(2012, 3, 29))

    assert {p.decision for p in proposals} == {"uebernommen", "teilweise", "nicht_uebernommen"}
    for proposal in proposals:
        assert proposal.answer_letter == answer
        if proposal.decision != Proposal.Decision.ADOPTED:
            assert proposal.reason
    assert answer.subject == "Übernahme der Vorschläge des Kreises Mettmann"


def test_it_records_letters_and_statements_with_documents(loaded):
    agreement = agreement_2012()
    letters = {
        letter.date: letter for letter in Letter.objects.filter(agreement=agreement).select_related(
            "sender", "recipient", "sender_person", "document",
        )
    }

    liga, landrat, mais = (letters[datetime.date(2012, m, d)] for m, d in [(1, 23), (3, 4), (3, 29)])
    assert (liga.sender.key, liga.recipient.key) == ("liga-nrw", "kreis-mettmann")
    assert liga.subject == "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände"
    assert (landrat.sender.key, landrat.recipient.key, landrat.sender_person.family_name) == (
        "kreis-mettmann", "mais-nrw", "Hendele",
    )
    assert landrat.subject == "Anschreiben des Landrates zur Zielvereinbarung 2012"
    assert (mais.sender.key, mais.recipient.key) == ("mais-nrw", "kreis-mettmann")
    assert all(letter.document is not None for letter in letters.values())

    liga_statement = Statement.objects.get(agreement=agreement, party__key="liga-nrw")
    assert (liga_statement.date, liga_statement.include_as_annex) == (datetime.date(2012, 1, 23), True)
    assert liga_statement.document == liga.document
    landkreistag = Statement.objects.get(agreement=agreement, party__key="landkreistag-nrw")
    assert (landkreistag.date.year, landkreistag.date.month, landkreistag.include_as_annex) == (2012, 2, False)


def test_it_records_the_signatures_before_the_vorlage(loaded):
    signatures = {s.party.key: s for s in agreement_2012().signatures.select_related("party", "person")}

    assert set(signatures) == {"kreis-mettmann", "mais-nrw"}
    kreis, mais = signatures["kreis-mettmann"], signatures["mais-nrw"]
    assert (kreis.person.full_name, kreis.signatory_function, kreis.place) == (
        "Herr Thomas Hendele", "Landrat", "Mettmann",
    )
    assert (mais.person.full_name, mais.signatory_function, mais.place) == (
        "Herr Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf",
    )
    for signature in signatures.values():
        assert datetime.date(2012, 4, 1) <= signature.date < datetime.date(2012, 4, 19)


def test_it_records_the_procedure_with_date_precision(loaded):
    steps = list(agreement_2012().steps.prefetch_related("participants").select_related("version", "letter"))
    by_title = {step.display_title: step for step in steps}

    expected = [
        (K.MEETING, datetime.date(2011, 7, 1), P.HALF_YEAR),
        (K.REFERENCE_VALUES, datetime.date(2011, 11, 1), P.MONTH),
        (K.MEETING, datetime.date(2011, 12, 16), P.DAY),
        (K.STATEMENT, datetime.date(2012, 1, 23), P.DAY),
        (K.DRAFT_SENT, datetime.date(2012, 1, 25), P.DAY),
        (K.MEETING, datetime.date(2012, 1, 31), P.MONTH),
        (K.EVALUATION, datetime.date(2012, 2, 1), P.MONTH),
        (K.STATEMENT, datetime.date(2012, 2, 1), P.MONTH),
        (K.DRAFT_SENT, datetime.date(2012, 3, 1), P.MONTH),
        (K.LETTER, datetime.date(2012, 3, 4), P.DAY),
        (K.LETTER, datetime.date(2012, 3, 29), P.DAY),
        (K.AGREED, datetime.date(2012, 4, 1), P.MONTH),
        (K.SIGNATURE, datetime.date(2012, 4, 1), P.MONTH),
    ]
    for kind, date, precision in expected:
        assert any((s.kind, s.date, s.date_precision) == (kind, date, precision) for s in steps), (kind, date)
    assert [s.date for s in steps] == sorted(s.date for s in steps)
    for step in steps:
        assert step.display_description.endswith(".") and step.display_description[0].isupper(), step.display_title

    talk = by_title["Gespräch zwischen dem MAIS NRW und dem Kreis Mettmann"]
    assert {p.key for p in talk.participants.all()} == {"mais-nrw", "kreis-mettmann"}
    revised = next(s for s in steps if s.date == datetime.date(2012, 1, 25))
    assert revised.version.number == 2
    assert "Liga" in revised.description and "Anlage" in revised.description
    landkreistag = by_title["Stellungnahme des Landkreistages NRW"]
    assert "Trägerversammlungen" in landkreistag.description and "trilaterale" in landkreistag.description
    assert next(s for s in steps if s.kind == K.AGREED).version.number == 4
    assert next(s for s in steps if s.date == datetime.date(2012, 3, 1)).version.number == 3
    assert next(s for s in steps if s.date == datetime.date(2012, 3, 29)).letter.date == datetime.date(2012, 3, 29)


def test_it_records_versions_that_differ(loaded):
    agreement = agreement_2012()
    versions = list(agreement.versions.select_related("author_party"))

    assert [(v.number, v.kind, v.author_party.key) for v in versions] == [
        (1, "entwurf", "mais-nrw"), (2, "entwurf", "kreis-mettmann"), (3, "entwurf", "mais-nrw"),
        (4, "endfassung", "mais-nrw"),
    ]
    v1, v2, v3, v4 = (v.snapshot for v in versions)
    assert versions[1].sent_at.date() == datetime.date(2012, 1, 25)
    assert "Liga" in versions[1].note
    for snapshot in (v1, v2, v3, v4):
        assert {"title", "preamble", "sections", "goals", "offers"} <= set(snapshot)
        assert snapshot["title"] == demo.TITLE_2012
        for goal in snapshot["goals"]:
            assert {"title", "text", "kind", "level", "area", "direction", "indicator", "reference_value",
                    "corridor_low", "corridor_high", "target_value", "unit", "order"} <= set(goal)
        for section in snapshot["sections"]:
            assert {"heading", "text", "order"} <= set(section)

    def titles(snapshot):
        return [g["title"] for g in snapshot["goals"]]

    def levels(snapshot):
        return {g["level"] for g in snapshot["goals"]}

    assert levels(v1) == {"landesziel"}
    assert "lokal" in levels(v2) and len(titles(v2)) > len(titles(v1))
    dropped = set(titles(v2)) - set(titles(v3))
    assert dropped == {"Zusätzliche Landesmittel für kommunale Beschäftigungsprojekte"}
    assert (v1["offers"], v2["offers"]) == ([], [])
    assert len(v3["offers"]) == 7
    assert v3 != v4
    assert v4 == agreement_snapshot(agreement)
    # A goal that survived keeps its row id across versions, so a redline can follow it.
    kdu_ids = {next(g["id"] for g in s["goals"] if g["title"] == demo.KDU_TITLE) for s in (v1, v2, v3, v4)}
    assert len(kdu_ids) == 1 and None not in kdu_ids


# --- People, users, the second county ---------------------------------------------------------------------


def test_it_records_the_people_of_the_reference(loaded):
    hendele = Person.objects.get(family_name="Hendele")
    schaeffer = Person.objects.get(family_name="Schäffer")
    gansauer = Person.objects.select_related("department", "user").get(family_name="Gansauer")

    assert (hendele.full_name, hendele.function, hendele.party.key) == (
        "Herr Thomas Hendele", "Landrat", "kreis-mettmann",
    )
    assert (schaeffer.full_name, schaeffer.function, schaeffer.party.key) == (
        "Herr Dr. Wilhelm Schäffer", "Staatssekretär", "mais-nrw",
    )
    assert (gansauer.full_name, gansauer.function) == ("Frau Ulrike Gansauer", "Bearbeiterin")
    assert (gansauer.department.number, gansauer.department.name) == ("50", "Sozialamt")
    assert gansauer.user.username == "kreis-editor"
    petrauschke = Person.objects.get(family_name="Petrauschke")
    assert (petrauschke.party.key, petrauschke.function) == ("rhein-kreis-neuss", "Landrat des Rhein-Kreises Neuss")
    assert set(Committee.objects.filter(party__key="kreis-mettmann").values_list("name", flat=True)) == {
        "Sozialausschuss", "Kreisausschuss", "Kreistag",
    }


def test_it_creates_demo_users_who_can_log_in(loaded, client):
    for username in DEMO_USERNAMES:
        assert client.login(username=username, password="demo"), username
        client.logout()

    memberships = {
        (m.user.username, m.party.key, m.role) for m in Membership.objects.select_related("user", "party")
    }
    assert memberships == {
        ("kreis-editor", "kreis-mettmann", "editor"),
        ("kreis-reader", "kreis-mettmann", "reader"),
        ("neuss-editor", "rhein-kreis-neuss", "editor"),
        ("mais-editor", "mais-nrw", "editor"),
    }
    (committee_membership,) = CommitteeMembership.objects.select_related("user", "committee")
    assert (committee_membership.user.username, committee_membership.committee.name) == (
        "ausschuss", "Sozialausschuss",
    )
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not get_user_model().objects.exclude(username="admin").filter(is_staff=True).exists()
    for user in get_user_model().objects.all():
        assert user.first_name and user.last_name


def test_it_keeps_neuss_apart_from_mettmann(loaded):
    neuss_editor = get_user_model().objects.get(username="neuss-editor")
    assert not Membership.objects.filter(user=neuss_editor, party__key="kreis-mettmann").exists()
    assert not Membership.objects.filter(user__username__startswith="kreis-", party__key="rhein-kreis-neuss").exists()

    agreement = Agreement.objects.get(parties__key="rhein-kreis-neuss")
    assert agreement.status == Agreement.Status.NEGOTIATION
    assert not agreement.parties.filter(key="kreis-mettmann").exists()
    assert agreement.goals.count() == 2
    assert set(agreement.goals.values_list("kind", flat=True)) == {"qualitativ"}
    # The ministry's draft and the county's answer with its proposal: the ministry is "am Zug" and decides it.
    versions = AgreementVersion.objects.filter(agreement=agreement).order_by("number")
    assert [(v.number, v.author_party.key) for v in versions] == [(1, "mais-nrw"), (2, "rhein-kreis-neuss")]
    assert agreement.pen_party.key == "mais-nrw"
    (proposal,) = agreement.proposals.all()
    assert (proposal.party.key, proposal.decision) == ("rhein-kreis-neuss", Proposal.Decision.OPEN)
    assert agreement.steps.count() == 2


def test_it_never_rewrites_a_signed_agreement(loaded, monkeypatch):
    before = database_state()
    sections = demo.agreement_2012.SECTIONS_2012
    changed_sections = (*sections[:-1], {**sections[-1], "text": "Gilt unbefristet."})
    monkeypatch.setattr(demo.agreement_2012, "SECTIONS_2012", changed_sections)

    with pytest.raises(CommandError, match="unterzeichnet"):
        run_command("--verbosity", "0")

    assert database_state() == before


# --- The electronically signed Nachtrag (issue 15) -----------------------------------------------------------------


def files_under(root):
    root = Path(root)
    return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file())


def certificate_subject(mapping):
    with keys.open_signer(keys.KeyConfig.from_mapping(mapping)) as signer:
        return signer.signing_cert.subject.human_friendly


def test_it_signs_one_agreement_electronically_with_demo_keys(demo_settings, reference_loaded):
    demo.load_demo()

    original = agreement_2012()
    amendment = Agreement.objects.get(amends=original)
    assert amendment.title == f"1. Nachtrag zur {demo.TITLE_2012}"
    assert amendment.status == Agreement.Status.SIGNED
    assert "erfunden" in amendment.sections.get(heading="§ 6 Hinweis zur Demo").text
    # The 2012 agreement itself stays signed on paper.
    assert set(original.signatures.values_list("method", flat=True)) == {Signature.Method.PAPER}
    first, second = amendment.signatures.select_related("party", "document").order_by("pk")
    assert [(s.party.key, s.method) for s in (first, second)] == [
        ("mais-nrw", Signature.Method.PADES), ("kreis-mettmann", Signature.Method.PADES)]
    assert amendment.signed_file == second.document and second.document.is_signed
    with second.document.file.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == second.document.sha256 == second.sha256_after
    assert second.sha256_before == first.sha256_after

    # Both signatures hold and chain to the demo's trust anchor; each carries a timestamp of the demo TSA.
    verdict = signing.check(content, expected=2)
    assert verdict.intact and verdict.trusted, [r.summary for r in verdict.reports]
    assert [r.field_name for r in verdict.reports] == ["Unterschrift-mais-nrw", "Unterschrift-kreis-mettmann"]
    assert [r.signer for r in verdict.reports] == ["MAIS NRW (DEMO-Siegel)", "Kreis Mettmann (DEMO-Siegel)"]
    assert all(r.timestamped and r.timestamp_ok for r in verdict.reports)
    assert all("DEMO-Siegel" in s.certificate_subject for s in (first, second))

    # The keys, the TSA and the trust anchor are the demo's, and say so.
    signing_dir = Path(demo_settings.DEMO_SIGNING_DIR)
    demo_keys = SigningKey.objects.select_related("party")
    assert {key.party.key for key in demo_keys} == {"mais-nrw", "kreis-mettmann", "rhein-kreis-neuss"}
    for key in demo_keys:
        assert key.is_demo and key.is_active
        assert "DEMO" in certificate_subject(key.mapping())
        secret = Path(key.secret_file)
        assert secret.is_relative_to(signing_dir) and secret.stat().st_mode & 0o077 == 0
        assert not secret.is_relative_to(demo_settings.MEDIA_ROOT)
    (tsa,) = TimestampAuthority.objects.all()
    assert tsa.is_demo and "DEMO" in tsa.name and not tsa.url
    assert "DEMO" in certificate_subject({"kind": "pkcs12", "pkcs12_path": tsa.local_key.path,
                                           "secret_file": tsa.secret_file})
    (anchor,) = TrustAnchor.objects.all()
    assert anchor.is_demo and anchor.is_active and "DEMO" in anchor.name and "DEMO" in anchor.subject
    # The demo TSA is switched off again: the demo's other agreements are signed on paper until an admin switches
    # it on (then the Rhein-Kreis Neuss's, whose parties have keys, would be signed electronically).
    assert not tsa.is_active
    neuss = Agreement.objects.get(parties__key="rhein-kreis-neuss")
    assert signing.missing_setup(neuss) == ["Es ist kein Zeitstempeldienst eingerichtet."]
    TimestampAuthority.objects.filter(pk=tsa.pk).update(is_active=True)
    assert signing.method_for(neuss) == signing.PADES
    TimestampAuthority.objects.filter(pk=tsa.pk).update(is_active=False)

    # A second run leaves all of it as it is, the key files included.
    before, files = database_state(), (files_under(signing_dir), files_under(demo_settings.MEDIA_ROOT))
    second_run = demo.load_demo()
    assert database_state() == before
    assert (files_under(signing_dir), files_under(demo_settings.MEDIA_ROOT)) == files
    assert all(c["created"] == 0 and c["changed"] == 0 for c in second_run["counts"].values()), second_run["counts"]


def test_a_failed_signature_leaves_no_keys_and_no_files(demo_settings, reference_loaded, monkeypatch):
    # The ministry signs, then the second signatory is nobody's to sign for: everything is rolled back.
    signatories = demo.signed_amendment.SIGNATORIES
    monkeypatch.setattr(demo.signed_amendment, "SIGNATORIES", (signatories[0], ("neuss-editor", "Landrat", "Neuss")))
    sealed = []
    seal = signing.seal
    monkeypatch.setattr(signing, "seal", lambda *args: sealed.append(seal(*args)) or sealed[-1])

    with pytest.raises(PermissionDenied):
        demo.load_demo()

    assert len(sealed) == 1  # the ministry's signature was made and stored, and went with the rest
    assert not Agreement.objects.exists() and not SigningKey.objects.exists()
    assert not [p for p in Path(demo_settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert not [p for p in Path(demo_settings.DEMO_SIGNING_DIR).rglob("*") if p.is_file()]
