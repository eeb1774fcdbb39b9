"""Full-text search: indexing (signals, PDF text, rebuild command), access filtering, the search page.

Everything but the tests taking the `postgres` fixture runs on SQLite and on PostgreSQL (DATABASE_URL).
"""

import datetime
import io
import re

import pikepdf
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import models as m
from agreements.infra import search as index
from agreements.services import lifecycle
from agreements.services.base import save_locked
from agreements.services.documents import store_upload

from .factories import DepartmentFactory, DocumentFactory, GoalFactory, PersonFactory, VorlageFactory

# The index as the app writes it: `world`'s records are indexed when they are created.
pytestmark = pytest.mark.world_records
Kind = m.SearchEntry.Kind
URL = "/suche/"
# Role -> may read Mettmann's agreement (member of one of its parties, or superuser).
SEES_METTMANN = {"outsider": False, "reader": True, "editor": True, "ministry": True, "committee": False,
                 "admin": True}


@pytest.fixture
def postgres(db):
    """Skips unless the tests run on PostgreSQL; decided when the test runs, not when the module is imported."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (tsvector, german configuration)")


def found(user, query, **kwargs):
    results, total = index.search(user, query, **kwargs)
    assert total >= len(results)
    return results, total


def titles(user, query, **kwargs):
    return [r.title for r in found(user, query, **kwargs)[0]]


def page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def shown_count(response):
    match = re.search(r'id="search-count" data-count="(\d+)"', response.content.decode())
    return int(match.group(1)) if match else None


def weasy_pdf(text):
    from weasyprint import HTML

    return HTML(string=f'<html lang="de"><body><p>{text}</p></body></html>').write_pdf()


def pikepdf_text_pdf(text):
    """A one-page PDF with a text layer, without WeasyPrint (Helvetica, ASCII text)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf_page = pdf.pages[0]
    pdf_page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)))
    pdf_page.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def county_vorlage(world, **fields):
    department = DepartmentFactory(party=world.county, number="50")
    return VorlageFactory(department=department, author=PersonFactory(party=world.county), **fields)


# Access ------------------------------------------------------------------------------------------------------------


def test_it_redirects_anonymous_users_to_the_login(world, client):
    response = client.get(URL, {"q": "Senkung"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert index.search(AnonymousUser(), "Senkung") == ([], 0)


@pytest.mark.parametrize("role", sorted(SEES_METTMANN))
def test_it_shows_mettmann_hits_only_to_those_who_may_read_the_agreement(world, login, role):
    world.goal.text = "Das Quartiersmanagement in Ratingen-West wird ausgebaut."
    world.goal.save()
    user = getattr(world.users, role)
    results, total = found(user, "Quartiersmanagement")
    expected = 1 if SEES_METTMANN[role] else 0
    assert total == expected
    assert len(results) == expected

    response = page(login(user), q="Quartiersmanagement")
    assert shown_count(response) == expected
    content = response.content.decode()
    assert ("Ratingen-West" in content) is SEES_METTMANN[role]
    assert ("Senkung der KdU" in content) is SEES_METTMANN[role]


def test_it_counts_only_visible_hits(world):
    # Same word in both counties' agreements: the outsider's count includes only their own.
    world.goal.text = "Wohnraumoffensive"
    world.goal.save()
    GoalFactory(agreement=world.other_agreement, title="Nachbarziel", text="Wohnraumoffensive")
    assert found(world.users.outsider, "Wohnraumoffensive")[1] == 1
    assert titles(world.users.outsider, "Wohnraumoffensive") == ["Nachbarziel"]
    assert found(world.users.ministry, "Wohnraumoffensive")[1] == 2
    assert found(world.users.admin, "Wohnraumoffensive")[1] == 2


def test_it_shows_vorlagen_by_the_vorlage_rules(world):
    draft = county_vorlage(world, name="Zielsteuerung Sozialraumbudget")
    assert titles(world.users.editor, "Sozialraumbudget") == [f"{draft.reference} Zielsteuerung Sozialraumbudget"]
    assert titles(world.users.reader, "Sozialraumbudget") != []
    assert titles(world.users.admin, "Sozialraumbudget") != []
    # A draft is internal: not for another county, not even for the committee before its release.
    assert found(world.users.outsider, "Sozialraumbudget") == ([], 0)
    assert found(world.users.committee, "Sozialraumbudget") == ([], 0)
    assert found(world.users.ministry, "Sozialraumbudget") == ([], 0)


def test_it_shows_a_released_public_vorlage_to_everybody_logged_in(world):
    vorlage = county_vorlage(world, name="Öffentliche Mitteilung Kinderbetreuungsbudget")
    m.Vorlage.objects.filter(pk=vorlage.pk).update(status=m.Vorlage.Status.RELEASED,
                                                   released_at=datetime.datetime.now(datetime.UTC))
    assert found(world.users.outsider, "Kinderbetreuungsbudget")[1] == 1


def test_it_shows_documents_by_the_download_rule(world):
    # No agreement of its own, but the file of a Mettmann letter: readable like the letter (can_read_document).
    document = DocumentFactory(title="Anschreiben Eingliederungsbericht")
    world.letter.document = document
    world.letter.save()
    assert Kind.DOCUMENT in {r.kind for r in found(world.users.editor, "Eingliederungsbericht")[0]}
    assert found(world.users.outsider, "Eingliederungsbericht") == ([], 0)

    orphan = DocumentFactory(title="Verwaister Haushaltsplanentwurf")
    assert found(world.users.editor, "Haushaltsplanentwurf") == ([], 0)
    assert [r.url for r in found(world.users.admin, "Haushaltsplanentwurf")[0]] == [
        reverse("document_download", args=[orphan.pk])
    ]


# Indexing ----------------------------------------------------------------------------------------------------------


def test_it_indexes_and_finds_every_kind(world):
    agreement = world.agreement
    agreement.preamble = "Präambel über Arbeitsmarktintegration"
    agreement.save()
    m.AgreementSection.objects.create(agreement=agreement, order=2, heading="§ 2 Laufzeit",
                                      text="Gilt bis zur Kündigungsfrist")
    world.goal.text = "Beschreibung Mietobergrenze"
    world.goal.save()
    world.proposal.concerns = "Präambel"
    world.proposal.reason = "Begründung Landesinitiative"
    world.proposal.save()
    statement_file = DocumentFactory(agreement=agreement, title="Stellungnahme als Datei",
                                     content=pikepdf_text_pdf("Wohlfahrtsbericht"), content_type="application/pdf")
    world.statement.text = "Die Liga begruesst Teilhabechancen"
    world.statement.document = statement_file
    world.statement.save()
    world.letter.summary = "Antwort auf Vorschlagsliste"
    world.letter.save()
    vorlage = county_vorlage(world, name="Zielvereinbarung 2012", occasion="Anlass Landtagsbeschluss",
                             conclusion="Fazit Gesamtbewertung", resolution="Beschlussvorschlag Kenntnisnahmevermerk",
                             agreement=agreement)
    m.VorlageSection.objects.create(vorlage=vorlage, order=1, heading="I. Rechtliche Grundlagen",
                                    text="Experimentierklausel")
    document = DocumentFactory(agreement=agreement, title="Protokoll Nachhaltedialog")
    world.offer.text = "Bewerbungstraining für Alleinerziehende"
    world.offer.save()
    world.step.description = "Gespräch im Kreishaus Mettmann"
    world.step.participants_note = "Sozialdezernentin"
    world.step.save()

    editor = world.users.editor
    expectations = [
        ("Arbeitsmarktintegration", Kind.AGREEMENT, reverse("agreement_detail", args=[agreement.pk])),
        ("Kündigungsfrist", Kind.AGREEMENT, reverse("agreement_detail", args=[agreement.pk])),
        ("Mietobergrenze", Kind.GOAL,
         reverse("agreement_goals", args=[agreement.pk]) + f"#ziel-{world.goal.pk}"),
        ("Landesinitiative", Kind.PROPOSAL,
         reverse("agreement_proposals", args=[agreement.pk]) + f"#proposal-{world.proposal.pk}"),
        ("Teilhabechancen", Kind.STATEMENT,
         reverse("agreement_statements", args=[agreement.pk]) + f"#statement-{world.statement.pk}"),
        ("Vorschlagsliste", Kind.LETTER, reverse("agreement_letters", args=[agreement.pk])),
        ("Landtagsbeschluss", Kind.VORLAGE, None),
        ("Experimentierklausel", Kind.VORLAGE, None),
        ("Gesamtbewertung", Kind.VORLAGE, None),
        ("Kenntnisnahmevermerk", Kind.VORLAGE, None),
        ("Nachhaltedialog", Kind.DOCUMENT, reverse("document_download", args=[document.pk])),
        ("Alleinerziehende", Kind.OFFER,
         reverse("agreement_offers", args=[agreement.pk]) + f"#angebot-{world.offer.pk}"),
        ("Kreishaus", Kind.STEP, reverse("agreement_timeline", args=[agreement.pk]) + f"#step-{world.step.pk}"),
        ("Sozialdezernentin", Kind.STEP, None),
    ]
    for word, kind, url in expectations:
        results, total = found(editor, word)
        assert [r.kind for r in results] == [kind], word
        if url is not None:
            assert results[0].url == url
        assert results[0].agreement_title == agreement.title
    # Offers and steps follow the agreement's access like its other parts.
    for word in ("Alleinerziehende", "Kreishaus"):
        assert found(world.users.outsider, word) == ([], 0)
        assert found(world.users.committee, word) == ([], 0)
    # A statement's file text is part of the statement's entry, and of the file's own.
    assert {r.kind for r in found(editor, "Wohlfahrtsbericht")[0]} == {Kind.STATEMENT, Kind.DOCUMENT}
    assert m.SearchEntry.objects.filter(kind=Kind.VORLAGE, object_id=vorlage.pk, vorlage=vorlage).exists()


def test_it_reindexes_after_an_update(world):
    goal = world.goal
    assert titles(world.users.editor, "KdU") == ["Senkung der KdU"]
    goal.title = "Senkung der Unterkunftskosten"
    save_locked(goal, goal.lock_version, ["title"])
    assert titles(world.users.editor, "Unterkunftskosten") == ["Senkung der Unterkunftskosten"]
    assert found(world.users.editor, "KdU") == ([], 0)


def test_it_leaves_the_index_alone_on_saves_that_change_nothing_searchable(world):
    goal = world.goal
    goal.order = 5
    with CaptureQueriesContext(connection) as ctx:
        goal.save(update_fields=["order"])
    assert not [q for q in ctx.captured_queries if "searchentry" in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        goal.save(update_fields=["title"])
    assert len([q for q in ctx.captured_queries if "searchentry" in q["sql"]]) == 2


def test_it_removes_entries_of_deleted_records(world):
    goal = GoalFactory(agreement=world.agreement, title="Befristetes Pilotprojekt")
    section = m.AgreementSection.objects.create(agreement=world.agreement, order=3, heading="§ 9",
                                                text="Schlussbestimmungen")
    assert titles(world.users.admin, "Pilotprojekt") == ["Befristetes Pilotprojekt"]
    assert titles(world.users.admin, "Schlussbestimmungen") == [world.agreement.title]
    goal.delete()
    section.delete()
    assert found(world.users.admin, "Pilotprojekt") == ([], 0)
    assert found(world.users.admin, "Schlussbestimmungen") == ([], 0)
    assert not m.SearchEntry.objects.filter(kind=Kind.GOAL, object_id=goal.pk).exists()

    other = world.other_agreement
    GoalFactory(agreement=other, title="Nachbarziel Schuldnerberatung")
    m.AgreementSection.objects.create(agreement=other, heading="§ 1", text="Text")
    other.delete()
    assert not m.SearchEntry.objects.filter(agreement_id=other.pk).exists()
    assert found(world.users.admin, "Schuldnerberatung") == ([], 0)


def test_it_indexes_the_copied_content_of_a_derived_agreement(world, django_capture_on_commit_callbacks):
    world.goal.text = "Fallmanagement"
    world.goal.save()
    with django_capture_on_commit_callbacks(execute=True):
        target = lifecycle.derive(user=world.users.editor, agreement=world.agreement, kind="next_year")
    goals = {r.agreement_title for r in found(world.users.editor, "Fallmanagement")[0]}
    assert goals == {world.agreement.title, target.title}


@pytest.mark.parametrize("make_pdf", [weasy_pdf, pikepdf_text_pdf], ids=["weasyprint", "pikepdf"])
def test_it_extracts_pdf_text_on_upload(world, make_pdf):
    upload = SimpleUploadedFile("bericht.pdf", make_pdf("Der Quartalsbericht nennt Xylophonwerkstatt"))
    document = store_upload(user=world.users.editor, agreement=world.agreement, uploaded_file=upload,
                            title="Quartalsbericht", kind=m.Document.Kind.ANNEX)
    document.refresh_from_db()
    assert "Xylophonwerkstatt" in document.extracted_text
    results, total = found(world.users.editor, "Xylophonwerkstatt")
    assert total == 1
    assert results[0].kind == Kind.DOCUMENT
    assert results[0].url == reverse("document_download", args=[document.pk])
    assert found(world.users.outsider, "Xylophonwerkstatt") == ([], 0)


def test_it_indexes_a_file_by_its_title_when_it_has_no_text(world):
    document = DocumentFactory(agreement=world.agreement, title="Gescanntes Fax", content=b"%PDF-kaputt")
    assert document.extracted_text == ""
    assert titles(world.users.editor, "Fax") == ["Gescanntes Fax"]


# The page ----------------------------------------------------------------------------------------------------------


def test_it_shows_only_the_form_for_an_empty_query(world, login):
    client = login(world.users.editor)
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = page(client, **params)
        content = response.content.decode()
        assert 'role="search"' in content
        assert re.search(r'<label\s+for="id_q"', content)
        assert shown_count(response) is None


def test_it_shows_results_with_kind_agreement_and_highlighted_snippet(world, login):
    world.goal.text = "Die Kosten der Unterkunft sollen durch Mietspiegelanpassung sinken."
    world.goal.save()
    response = page(login(world.users.editor), q="Mietspiegelanpassung")
    content = response.content.decode()
    assert shown_count(response) == 1
    assert "Senkung der KdU" in content
    assert world.agreement.title in content
    assert str(m.SearchEntry.Kind.GOAL.label) in content
    assert re.search(r"<mark>Mietspiegelanpassung</mark>", content)
    assert reverse("agreement_goals", args=[world.agreement.pk]) + f"#ziel-{world.goal.pk}" in content


def test_it_filters_by_kind(world, login):
    world.goal.text = "Lotsenprojekt"
    world.goal.save()
    world.letter.summary = "Lotsenprojekt"
    world.letter.save()
    assert {r.kind for r in found(world.users.editor, "Lotsenprojekt")[0]} == {Kind.GOAL, Kind.LETTER}
    assert [r.kind for r in found(world.users.editor, "Lotsenprojekt", kinds=[Kind.LETTER])[0]] == [Kind.LETTER]
    response = page(login(world.users.editor), q="Lotsenprojekt", art="letter")
    assert shown_count(response) == 1
    response = page(login(world.users.editor), q="Lotsenprojekt", art="unsinn")
    assert shown_count(response) is None
    assert "unsinn" in response.content.decode()  # named in the form error


@pytest.mark.parametrize("query", ["x" * 201, "Wort\x00Wort"])
def test_it_answers_a_bad_query_with_a_form_error(world, login, query):
    response = page(login(world.users.editor), q=query)
    assert shown_count(response) is None
    assert "invalid-feedback" in response.content.decode()


def test_it_finds_words_with_umlauts_whatever_their_case(world):
    assert titles(world.users.editor, "übernahme") == ["Übernahme der Vorschläge"]
    assert titles(world.users.editor, "ÜBERNAHME") == ["Übernahme der Vorschläge"]


def test_it_never_shows_indexed_markup_unescaped(world, login):
    world.goal.title = "<script>alert('Titel')</script> Zauberformel"
    world.goal.text = ('<b onmouseover="alert(1)">fett</b> Zauberformel <img src=x onerror=alert(2)> '
                       "<mark>falsch</mark> &amp; </mark>")
    world.goal.save()
    world.agreement.title = "<i>Kursiv</i> Vereinbarung"
    world.agreement.save()
    response = page(login(world.users.editor), q="Zauberformel")
    content = response.content.decode()
    assert shown_count(response) == 1
    assert "<script>alert" not in content
    assert "<img" not in content and "<b " not in content and "<i>Kursiv" not in content
    assert "&lt;script&gt;" in content
    [result] = found(world.users.editor, "Zauberformel")[0]
    assert "<mark>" in result.snippet
    # The only markup in a snippet is our own <mark>…</mark>, balanced.
    assert not re.search(r"<(?!/?mark>)", result.snippet)
    assert result.snippet.count("<mark>") == result.snippet.count("</mark>")
    # Indexed "<mark>" is text like any other: escaped (SQLite) or dropped as a tag by ts_headline (PostgreSQL).
    assert "falsch" in result.snippet
    assert "<mark>falsch" not in result.snippet


def test_it_paginates(world, login):
    for n in range(25):
        GoalFactory(agreement=world.agreement, title=f"Teilziel {n}", text="Sprachkursangebot")
    client = login(world.users.editor)
    first = page(client, q="Sprachkursangebot").content.decode()
    assert first.count('class="mb-3 search-result"') == 20
    second = page(client, q="Sprachkursangebot", page=2).content.decode()
    assert second.count('class="mb-3 search-result"') == 5
    assert 'start="21"' in second
    beyond = page(client, q="Sprachkursangebot", page=99).content.decode()
    assert beyond.count('class="mb-3 search-result"') == 5
    assert page(client, q="Sprachkursangebot", page="x").content.decode().count('class="mb-3 search-result"') == 20
    results, total = index.search(world.users.editor, "Sprachkursangebot", limit=10, offset=20)
    assert (len(results), total) == (5, 25)


def test_it_renders_the_page_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.editor)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = page(client, q="Bewerbungstraining")
        return len(ctx.captured_queries), shown_count(response)

    for n in range(3):
        GoalFactory(agreement=world.agreement, title=f"Ziel {n}", text="Bewerbungstraining")
    small, count = queries()
    assert count == 3
    for n in range(3, 30):
        GoalFactory(agreement=world.agreement, title=f"Ziel {n}", text="Bewerbungstraining")
    large, count = queries()
    assert count == 30
    assert small == large


def test_it_has_a_search_box_in_the_navbar_for_logged_in_users(world, login):
    content = page(login(world.users.reader)).content.decode()
    assert 'action="/suche/"' in content
    assert '<label for="navbar-search"' in content
    anonymous = login(None).get(reverse("login")).content.decode()
    assert 'action="/suche/"' not in anonymous


def test_it_refuses_other_methods(world, login):
    assert login(world.users.editor).post(URL, {"q": "x"}).status_code == 405


# PostgreSQL: stemming, ranking, headlines --------------------------------------------------------------------------


@pytest.mark.postgres
def test_it_stems_german_words(world, postgres):
    GoalFactory(agreement=world.agreement, title="Abstimmung", text="Alle Vereinbarungen werden veröffentlicht.")
    GoalFactory(agreement=world.agreement, title="Ein Ziel für Alleinerziehende", text="")
    assert titles(world.users.editor, "Vereinbarung") == ["Abstimmung"]
    assert "Ein Ziel für Alleinerziehende" in titles(world.users.editor, "Ziele")


@pytest.mark.postgres
def test_it_ranks_title_hits_above_body_hits(world, postgres):
    body_hit = GoalFactory(agreement=world.agreement, title="Anderes", text="Es geht um Existenzgründung.")
    title_hit = GoalFactory(agreement=world.agreement, title="Existenzgründung", text="Beratung")
    # The body hit is the newer record: only the rank can put the title hit first.
    body_hit.save()
    assert titles(world.users.editor, "Existenzgründung") == [title_hit.title, body_hit.title]


@pytest.mark.postgres
def test_it_highlights_hits_in_the_snippet(world, postgres):
    world.goal.text = ("Der Kreis Mettmann verpflichtet sich, die Integrationsquote durch gezielte "
                       "Arbeitgeberansprache im Jahr 2013 zu steigern.")
    world.goal.save()
    [result] = found(world.users.editor, "Arbeitgeberansprache")[0]
    assert "<mark>Arbeitgeberansprache</mark>" in result.snippet
    assert index.START_SEL not in result.snippet and index.STOP_SEL not in result.snippet
    entry = m.SearchEntry.objects.get(kind=Kind.GOAL, object_id=world.goal.pk)
    assert entry.search_vector


@pytest.mark.postgres
def test_it_understands_websearch_syntax(world, postgres):
    GoalFactory(agreement=world.agreement, title="Jugendberufsagentur Velbert")
    GoalFactory(agreement=world.agreement, title="Jugendberufsagentur Hilden")
    assert titles(world.users.editor, "Jugendberufsagentur -Hilden") == ["Jugendberufsagentur Velbert"]
    assert found(world.users.editor, '"Hilden Jugendberufsagentur"')[1] == 0


# rebuild_search_index ----------------------------------------------------------------------------------------------


def test_it_rebuilds_the_index_idempotently(world):
    county_vorlage(world, name="Vorlage zum Umbau")
    DocumentFactory(agreement=world.agreement, title="Anlage")
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    first = m.SearchEntry.objects.count()
    # agreements 2, goal, offer, step, proposal, statement, letter, Vorlage, document
    assert first == 10
    assert "Suchindex: 10 Einträge" in out.getvalue()
    call_command("rebuild_search_index", stdout=io.StringIO())
    assert m.SearchEntry.objects.count() == first


def test_it_repairs_missing_and_stale_entries(world):
    m.SearchEntry.objects.filter(kind=Kind.GOAL, object_id=world.goal.pk).delete()
    # Written behind the signals' back: no entry.
    [bulk] = m.Goal.objects.bulk_create([m.Goal(agreement=world.agreement, title="Massenimport Ziel")])
    m.SearchEntry.objects.create(kind=Kind.GOAL, object_id=999_999, title="Verwaist", agreement=world.agreement)
    assert found(world.users.editor, "KdU") == ([], 0)
    assert found(world.users.editor, "Massenimport") == ([], 0)

    out = io.StringIO()
    call_command("rebuild_search_index", "--batch-size", "1", stdout=out)
    assert titles(world.users.editor, "KdU") == ["Senkung der KdU"]
    assert titles(world.users.editor, "Massenimport") == [bulk.title]
    assert found(world.users.editor, "Verwaist") == ([], 0)
    assert "Ziel: 2 indexiert, 1 entfernt" in out.getvalue()


def test_it_reads_missing_pdf_text_when_rebuilding(world):
    document = DocumentFactory(agreement=world.agreement, title="Altbestand",
                               content=pikepdf_text_pdf("Vorlaeuferprogramm"))
    m.Document.objects.filter(pk=document.pk).update(extracted_text="")
    m.SearchEntry.objects.filter(kind=Kind.DOCUMENT).delete()
    call_command("rebuild_search_index", stdout=io.StringIO())
    assert titles(world.users.editor, "Vorlaeuferprogramm") == ["Altbestand"]


def test_it_keeps_the_source_modification_time(world):
    entry = m.SearchEntry.objects.get(kind=Kind.GOAL, object_id=world.goal.pk)
    world.goal.refresh_from_db()
    assert entry.modified == world.goal.modified
