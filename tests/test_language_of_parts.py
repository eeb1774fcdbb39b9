"""Pages in English (issue 13): the interface in English, the records quoted as written and marked lang="de" (WCAG
3.1.2 Language of Parts). The browser check over the county editor's pages is in tests/e2e/test_accessibility.py;
here the pieces: the template mechanism, record options in selects, typed entries with quoted data, and what was
German on the English pages (the Vorlage's impact choices, the tab of the letters)."""

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from agreements import models as m
from agreements.forms.base import RecordSelect
from agreements.text import entries

from .vorlage_builders import make_vorlage, vorlage_world

pytestmark = pytest.mark.django_db


def render(source, **context):
    return Template("{% load record_language %}" + source).render(Context(context))


@pytest.mark.parametrize("language, attribute, span", [
    ("de", "", "Ziel &lt;1&gt;"),
    ("en", ' lang="de"', '<span lang="de">Ziel &lt;1&gt;</span>'),
])
def test_it_marks_record_content_only_on_a_page_in_another_language(language, attribute, span):
    with translation.override(language):
        assert render("<h4{% record_lang %}>x</h4>") == f"<h4{attribute}>x</h4>"
        assert render("{{ title|record }}", title="Ziel <1>") == span
        assert render('{{ title|record|default:"–" }}', title="") == "–"
        # A typed entry is phrased in the reader's language: nothing to mark.
        assert render("<p{% record_lang language %}>x</p>", language=None) == "<p>x</p>"
        assert render('<span{% interface_lang %}>bisher:</span>') == (
            '<span lang="en">bisher:</span>' if language == "en" else "<span>bisher:</span>")


def test_record_options_of_a_select_are_german_on_an_english_page():
    widget = RecordSelect(choices=[("", "–"), ("1", "Zielvereinbarung 2012")])
    with translation.override("en"):
        html = widget.render("agreement", "1")
    assert '<option value="" lang' not in html
    assert '<option value="1" selected lang="de">Zielvereinbarung 2012</option>' in html
    assert 'lang="de"' not in widget.render("agreement", "1")  # German page


def test_a_typed_entry_quotes_its_record_data_as_german_in_an_english_sentence():
    data = {"user": "Max Muster", "deciding": "MAIS NRW", "text": "Ziel <b>2</b>", "party": "Kreis Mettmann",
            "decision": "uebernommen", "previous": "offen", "reason": "", "letter": "",
            "applied": {"section": "§ 3 Gespräche"}}
    title, description = entries.render_html("proposal.decided", data, "en")
    assert title == "Proposal adopted"
    assert description == (
        'Max Muster (MAIS NRW) decided: the proposal “<span lang="de">Ziel &lt;b&gt;2&lt;/b&gt;</span>” from Kreis '
        'Mettmann is adopted. The change is now in the working text: wording of “<span lang="de">§ 3 Gespräche'
        '</span>”.')
    # In German nothing is marked; the text (not HTML) is the same sentence as for the Vorlage.
    assert entries.render_html("proposal.decided", data, "de")[1] == (
        "Max Muster (MAIS NRW) hat entschieden: Der Vorschlag „Ziel &lt;b&gt;2&lt;/b&gt;“ von Kreis Mettmann wird "
        "übernommen. Die Änderung steht damit im Arbeitstext: Wortlaut von „§ 3 Gespräche“.")
    assert entries.render("proposal.decided", data, "de")[1].endswith("Wortlaut von „§ 3 Gespräche“.")


def test_an_entry_written_before_the_passage_was_data_keeps_its_words():
    data = {"user": "U", "deciding": "D", "text": "T", "party": "P", "decision": "uebernommen", "previous": "offen",
            "reason": "", "letter": "", "applied": "Wortlaut von „§ 1 Gegenstand“"}
    assert entries.render("proposal.decided", data, "en")[1].endswith(
        "The change is now in the working text: Wortlaut von „§ 1 Gegenstand“.")
    assert '<span lang="de">Wortlaut von „§ 1 Gegenstand“</span>' in entries.render_html(
        "proposal.decided", data, "en")[1]


def test_the_tab_of_the_letters_says_letters(world, login):
    client = login(world.users.editor)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("agreement_letters", args=[world.agreement.pk])).content.decode()
    assert '<h2 class="h4">Letters</h2>' in body
    assert f'href="{reverse("agreement_letters", args=[world.agreement.pk])}" aria-current="page">Letters</a>' in body
    assert f'<h1 class="h3" lang="de">{world.agreement.title}</h1>' in body


@pytest.mark.parametrize("language, labels", [
    ("de", ["Finanzielle Auswirkung", "ja", "nein", "noch nicht zu übersehen"]),
    ("en", ["Financial impact", "yes", "no", "cannot yet be foreseen"]),
])
def test_the_vorlage_page_shows_its_labels_in_the_readers_language_and_its_text_as_written(world, login, language,
                                                                                           labels):
    vorlage = make_vorlage(vorlage_world(world))
    client = login(world.users.editor)
    client.cookies["django_language"] = language
    body = client.get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    assert all(label in body for label in labels)
    assert '<article class="paper">' in body
    mark = ' lang="de"' if language == "en" else ""
    assert f'<div class="border-start border-3 ps-3 my-3"{mark}><p>{vorlage.resolution}</p></div>' in body
    assert f'<h4 class="h6 mt-3"{mark}>1. Abschnitt</h4>' in body


def test_the_timeline_marks_free_text_as_german_and_phrases_typed_entries(world, login):
    m.ProcedureStep.objects.create(agreement=world.agreement, date=world.step.date, kind="status",
                                   action="agreement.withdrawn", data={"party": "Kreis Mettmann", "reason": "Dublette"})
    client = login(world.users.editor)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("agreement_timeline", args=[world.agreement.pk])).content.decode()
    assert '<th scope="row" lang="de">Zielsteuerungsgespräch</th>' in body
    assert "<th scope=\"row\">Withdrawn</th>" in body
    assert 'Kreis Mettmann withdrew the target agreement. Reason: <span lang="de">Dublette</span>' in body
