from decimal import Decimal

import pytest
from django.urls import reverse

from agreements import models as m

from .builders_queries import assert_fixed_queries
from .factories import ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.world_records]

TAB = {"anonymous": 302, "outsider": 404, "committee": 404, "reader": 200, "editor": 200, "ministry": 200,
       "admin": 200}


def tab_url(world):
    return reverse("agreement_history", args=[world.agreement.pk])


def save_as(user, obj, **changes):
    for field, value in changes.items():
        setattr(obj, field, value)
    obj._history_user = user
    obj.save()


def entries(client, world, page=None):
    response = client.get(tab_url(world), {"page": page} if page else {})
    assert response.status_code == 200
    return response.context["entries"], response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_tab_per_role(world, login, role):
    response = login(getattr(world.users, role)).get(tab_url(world))
    assert response.status_code == TAB[role]
    if TAB[role] == 302:
        assert response["Location"].startswith(reverse("login"))


def test_it_shows_a_changed_goal_title_with_old_and_new_value_and_the_user(world, login):
    world.users.editor.last_name = "Gansauer"
    world.users.editor.save()
    save_as(world.users.editor, world.goal, title="Senkung der Leistungen für Unterkunft und Heizung")
    found, body = entries(login(world.users.reader), world)
    newest = found[0]
    assert (newest["user"], newest["action"], str(newest["type"])) == ("Editor Gansauer", "geändert", "Ziel")
    assert newest["label"] == "Senkung der Leistungen für Unterkunft und Heizung"
    # A title is record content as written ("quoted": German on an English page too).
    assert newest["changes"] == [{"label": "Titel", "old": "Senkung der KdU",
                                  "new": "Senkung der Leistungen für Unterkunft und Heizung", "quoted": True}]
    assert "Editor Gansauer" in body and "<del>Senkung der KdU</del>" in body
    assert "<ins>Senkung der Leistungen für Unterkunft und Heizung</ins>" in body


@pytest.mark.parametrize("language, label, old, new", [
    ("de", "Zielwert", "25,5\u00a0%", "25,2\u00a0%"),
    ("en", "Target value", "25.5%", "25.2%"),
])
def test_it_shows_a_changed_goal_value_as_the_pages_show_numbers(world, login, language, label, old, new):
    """Not the stored "25.500 → 25.200", which a German reader takes for twenty-five thousand."""
    goal = m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ",
                                 area="k2", indicator=world.indicator, corridor_low=Decimal("24"),
                                 corridor_high=Decimal("26"), target_value=Decimal("25.500"), unit="%")
    save_as(world.users.editor, goal, target_value=Decimal("25.200"))
    client = login(world.users.reader)
    client.cookies["django_language"] = language
    found, body = entries(client, world)
    assert found[0]["changes"] == [{"label": label, "old": old, "new": new, "quoted": False}]
    assert f"<del>{old}</del>" in body and f"<ins>{new}</ins>" in body
    assert "25.500" not in body and "25.200" not in body


def test_it_names_creations_deletions_and_the_system(world, login):
    goal = m.Goal.objects.create(agreement=world.agreement, title="Neues Ziel", kind="qualitativ")
    goal._history_user = world.users.ministry
    goal.delete()
    found, _body = entries(login(world.users.editor), world)
    assert [(e["action"], e["label"], e["user"]) for e in found[:2]] == [
        ("gelöscht", "Neues Ziel", "Ministry"), ("angelegt", "Neues Ziel", "System"),
    ]
    assert found[0]["changes"] == [] and found[1]["changes"] == []


def test_it_shows_choices_relations_booleans_and_dates_readably(world, login):
    proposal = world.proposal
    save_as(world.users.ministry, proposal, decision="nicht_uebernommen", reason="Landesweit einheitlich",
            answer_letter=world.letter, decided_by=world.users.ministry)
    save_as(world.users.editor, world.statement, include_as_annex=True, date=world.letter.date)
    found, _body = entries(login(world.users.editor), world)
    statement_changes = {c["label"]: (c["old"], c["new"]) for c in found[0]["changes"]}
    assert statement_changes == {"als Anlage aufnehmen": ("nein", "ja"), "Datum": ("23.01.2013", "29.03.2013")}
    proposal_changes = {c["label"]: (c["old"], c["new"]) for c in found[1]["changes"]}
    assert proposal_changes == {
        "Entscheidung": ("offen", "nicht übernommen"),
        "Begründung": ("–", "Landesweit einheitlich"),
        "beantwortet mit Schreiben": ("–", "Übernahme der Vorschläge (29.03.2013)"),
        "entschieden von": ("–", "Ministry"),
    }


def test_it_includes_the_agreement_and_every_kind_of_record_but_no_other_agreement(world, login):
    save_as(world.users.editor, world.agreement, title="Zielvereinbarung 2013 (Entwurf 2)")
    save_as(world.users.editor, world.other_agreement, title="Fremde Vereinbarung geändert")
    m.Goal.objects.create(agreement=world.other_agreement, title="Fremdes Ziel")
    found, body = entries(login(world.users.editor), world)
    types = {str(e["type"]) for e in found}
    assert types == {"Zielvereinbarung", "Abschnitt", "Ziel", "Unterstützungsangebot", "Vorschlag",
                     "Stellungnahme", "Schreiben", "Verfahrensschritt"}
    assert "Fremde Vereinbarung geändert" not in body and "Fremdes Ziel" not in body
    assert found[0]["changes"] == [{"label": "Titel", "old": "Zielvereinbarung 2013 MAIS – Kreis Mettmann",
                                    "new": "Zielvereinbarung 2013 (Entwurf 2)", "quoted": True}]


def test_it_pages_newest_first(world, login):
    for i in range(30):
        save_as(world.users.editor, world.goal, title=f"Titel {i}")
    client = login(world.users.editor)
    first, body = entries(client, world)
    assert len(first) == 25
    assert first[0]["changes"][0]["new"] == "Titel 29" and first[0]["changes"][0]["old"] == "Titel 28"
    assert "Seite 1 von 2" in body
    second, _body = entries(client, world, page=2)
    # 30 changes + 8 records the world fixture created.
    assert len(second) == 13
    assert second[0]["changes"][0]["new"] == "Titel 4"
    assert second[4]["changes"][0] == {"label": "Titel", "old": "Senkung der KdU", "new": "Titel 0", "quoted": True}


def test_it_escapes_stored_markup(world, login):
    save_as(world.users.editor, world.goal, title="<script>alert(1)</script>")
    _found, body = entries(login(world.users.editor), world)
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


# Queries -------------------------------------------------------------------------------------------------------

def make_changes(world, total):
    """Changes spread over every kind of record, so that both pages show the same kinds."""
    targets = [(world.goal, "title"), (world.section, "heading"), (world.offer, "title"), (world.proposal, "text"),
               (world.statement, "title"), (world.letter, "subject"), (world.step, "title"),
               (world.agreement, "title")]
    for i in range(total):
        obj, field = targets[i % len(targets)]
        save_as(world.users.editor, obj, **{field: f"{field} {i}"})
    # And one change of relations (letter, user), whose labels are looked up.
    letter = None if world.proposal.answer_letter_id else world.letter
    save_as(world.users.ministry, world.proposal, decision="teilweise", reason="Grund", answer_letter=letter,
            decided_by=world.users.ministry if letter else world.users.editor)


def test_it_shows_the_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.editor)
    assert_fixed_queries(client, tab_url(world), lambda total: make_changes(world, total), most=22)
