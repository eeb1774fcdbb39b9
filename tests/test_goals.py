import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import goals as svc

from . import entry_flow
from .builders_confirm import CONFIRMED
from .builders_queries import assert_fixed_queries
from .builders_writes import PenEntryListTests
from .factories import GoalFactory, make_user


def goal_data(**overrides):
    data = {
        "kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Optimierung der KdU-Prüfung",
        "text": "Die Prüfung der Angemessenheit wird optimiert.", "direction": "optimierung", "indicator": "",
        "reference_value": "", "corridor_low": "", "corridor_high": "", "target_value": "", "unit": "",
        "lock_version": "",
    }
    data.update(overrides)
    return data


def quantitative_data(world, **overrides):
    values = {
        "kind": "quantitativ", "area": "k2", "title": "Integrationsquote steigern", "direction": "steigerung",
        "indicator": str(world.indicator.pk), "reference_value": "12,5", "corridor_low": "10",
        "corridor_high": "15,25", "target_value": "13,75", "unit": "%",
    }
    values.update(overrides)
    return goal_data(**values)


def snapshot(agreement):
    return list(m.Goal.objects.filter(agreement=agreement).order_by("pk").values_list(
        "pk", "title", "order", "level", "lock_version"))


GOALS = entry_flow.EntryList(
    name="goal", tab="agreement_goals", model=m.Goal, entry=lambda world: world.goal,
    data=lambda world, **overrides: goal_data(**overrides), snapshot=snapshot,
    second=lambda world: GoalFactory(agreement=world.agreement, order=2, level="lokal"),
    foreign=lambda world: GoalFactory(agreement=world.other_agreement, title="Fremdes Ziel"),
    writer="editor", on_tab=("Senkung der KdU",), unchanged=("Tendenz", {"direction": "senkung"}),
    history_edit=("ministry", {"title": "Geändert"}),
)
urls = GOALS.urls


# Permissions, escaping, conflicts, history, frozen agreements: as every list (entry_flow.py), under the pen
# (builders_writes.PenEntryListTests) -----------------------------------------------------------------------------


class TestGoalList(PenEntryListTests):
    entries = GOALS


# Permissions ---------------------------------------------------------------------------------------------------


def test_it_does_not_let_a_superuser_write_through_the_service(world):
    with pytest.raises(PermissionDenied):
        svc.save_goal(user=world.users.admin, agreement=world.agreement, data=goal_data())


# Input ---------------------------------------------------------------------------------------------------------


def test_it_adds_a_quantitative_goal_with_german_numbers(world, login):
    client = login(world.users.editor)
    response = client.post(urls(world)["add"], quantitative_data(world))
    assert response.status_code == 302
    goal = m.Goal.objects.get(title="Integrationsquote steigern")
    assert goal.reference_value == Decimal("12.5")
    assert goal.corridor_high == Decimal("15.25")
    assert goal.indicator == world.indicator
    assert goal.order == 2  # after the fixture's local goal
    body = client.get(urls(world)["tab"]).content.decode()
    assert "12,5\u00a0%" in body
    assert "13,75\u00a0%" in body
    assert "<dd class=\"col-sm-9\">10 bis 15,25\u00a0%</dd>" in body
    assert "K2 – Integrationsquote" in body
    form_body = client.get(urls(world, goal)["edit"]).content.decode()
    assert 'value="12,5"' in form_body


def test_it_reads_dots_as_german_thousands_separators(world, login):
    client = login(world.users.editor)
    response = client.post(urls(world)["add"], quantitative_data(
        world, reference_value="1.234.567,5", corridor_low="1.000", corridor_high="2.000.000",
        target_value="-1,5", corridor_exception_confirmed="on", corridor_exception_reason="Sonderfall"))
    assert response.status_code == 302
    goal = m.Goal.objects.get(title="Integrationsquote steigern")
    assert goal.reference_value == Decimal("1234567.5")
    assert goal.corridor_low == Decimal("1000")
    assert goal.target_value == Decimal("-1.5")


def test_it_lists_goals_by_level_with_landesziele_first(world, login):
    GoalFactory(agreement=world.agreement, level="landesziel", title="Landesziel A", order=5)
    body = login(world.users.reader).get(urls(world)["tab"]).content.decode()
    assert body.index("Landesziele") < body.index("Landesziel A") < body.index("Lokale Ziele")
    assert body.index("Lokale Ziele") < body.index("Senkung der KdU")
    assert body.count("<h1") == 1


BAD_GOALS = {
    "empty": ({}, ["kind", "level", "area", "title"]),
    "title too long": ({"title": "x" * 301}, ["title"]),
    "text too long": ({"text": "x" * 20001}, ["text"]),
    "letters in a number": ({"kind": "quantitativ", "indicator": "INDICATOR", "reference_value": "zwölf"},
                            ["reference_value"]),
    "English decimal point": ({"kind": "quantitativ", "indicator": "INDICATOR", "target_value": "12.5"},
                              ["target_value"]),
    "too many decimals": ({"kind": "quantitativ", "indicator": "INDICATOR", "target_value": "1,2345"},
                          ["target_value"]),
    "corridor upside down": ({"kind": "quantitativ", "indicator": "INDICATOR", "corridor_low": "20",
                              "corridor_high": "10,5"}, ["corridor_high"]),
    "numbers on a qualitative goal": ({"reference_value": "5", "target_value": "7"},
                                      [None, "reference_value", "target_value"]),
    "qualitative without direction": ({"direction": ""}, ["direction"]),
    "quantitative without indicator": ({"kind": "quantitativ"}, ["indicator"]),
    "unknown indicator": ({"kind": "quantitativ", "indicator": "999999"}, ["indicator"]),
    "unknown kind": ({"kind": "visionär"}, ["kind"]),
    "target outside the corridor, not confirmed": (
        {"kind": "quantitativ", "indicator": "INDICATOR", "corridor_low": "24", "corridor_high": "26",
         "target_value": "40"}, ["corridor_exception_confirmed"]),
    "target outside the corridor, confirmed without a reason": (
        {"kind": "quantitativ", "indicator": "INDICATOR", "corridor_low": "24", "corridor_high": "26",
         "target_value": "40", "corridor_exception_confirmed": "on", "corridor_exception_reason": "   "},
        ["corridor_exception_reason"]),
    "reason too long": (
        {"kind": "quantitativ", "indicator": "INDICATOR", "corridor_low": "24", "corridor_high": "26",
         "target_value": "40", "corridor_exception_confirmed": "on", "corridor_exception_reason": "x" * 2001},
        ["corridor_exception_reason"]),
}


@pytest.mark.parametrize("case", BAD_GOALS)
@pytest.mark.parametrize("view", ["add", "edit"])
def test_it_refuses_bad_goal_input(world, login, case, view):
    overrides, fields = BAD_GOALS[case]
    data = {} if case == "empty" else goal_data(lock_version=world.goal.lock_version, **overrides)
    if data.get("indicator") == "INDICATOR":
        data["indicator"] = str(world.indicator.pk)
    response = entry_flow.assert_refuses_bad_input(GOALS, world, login(world.users.editor), view, data, fields)
    assert 'class="invalid-feedback"' in response.content.decode() or "alert" in response.content.decode()


def test_it_names_the_fields_a_qualitative_goal_must_not_carry(world, login):
    response = login(world.users.editor).post(urls(world)["add"], goal_data(corridor_low="1", target_value="2"))
    message = response.context["form"].non_field_errors()[0]
    assert "Korridor untere Grenze" in message and "Zielwert" in message
    assert "Referenzwert" not in message
    assert "Korridor untere Grenze" in response.content.decode()


def test_it_checks_the_goal_rules_in_the_service_too(world):
    with pytest.raises(DomainError, match="Referenzwert"):
        svc.save_goal(user=world.users.editor, agreement=world.agreement,
                      data={**goal_data(), "reference_value": Decimal("1")})
    with pytest.raises(DomainError, match="Korridor"):
        svc.save_goal(user=world.users.editor, agreement=world.agreement,
                      data={**goal_data(kind="monitoring"), "corridor_low": Decimal(2), "corridor_high": Decimal(1)})
    assert world.agreement.goals.count() == 1


# A target value outside its corridor ---------------------------------------------------------------------------


def outside(world, **overrides):
    """The case of the issue: a Zielwert of 40 with a corridor of 24 to 26 (here with decimals, to see the format)."""
    return quantitative_data(world, **{"reference_value": "25", "corridor_low": "23,5", "corridor_high": "26",
                                       "target_value": "40,5", **overrides})


def test_it_asks_to_confirm_a_target_value_outside_the_corridor(world, login):
    client = login(world.users.editor)
    body = client.get(urls(world)["add"]).content.decode()
    assert "corridor_exception_confirmed" not in body  # asked only when it is needed

    response = client.post(urls(world)["add"], outside(world))
    assert response.status_code == 200
    [message] = response.context["form"].errors["corridor_exception_confirmed"]
    assert "Der Zielwert 40,5\u00a0% liegt außerhalb des Korridors von 23,5 bis 26\u00a0%." in message
    body = response.content.decode()
    assert 'type="checkbox" name="corridor_exception_confirmed"' in body
    assert "Ich bestätige den Zielwert außerhalb des Korridors." in body
    assert 'name="corridor_exception_reason"' in body
    assert 'for="id_corridor_exception_reason"' in body  # labelled
    assert not m.Goal.objects.filter(title="Integrationsquote steigern").exists()


@pytest.mark.parametrize("language, reference, corridor, target, people", [
    ("de", "24,8\u00a0%", "24 bis 26\u00a0%", "25,5\u00a0%", "1250,5\u00a0Personen"),
    ("en", "24.8%", "24 to 26%", "25.5%", "1250.5\u00a0Personen"),
])
def test_it_shows_the_goal_values_in_the_readers_format(world, login, language, reference, corridor, target, people):
    """Stored with three decimals, shown without the trailing zeros: "24,800" would read as twenty-four thousand."""
    m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ",
                          area="k2", indicator=world.indicator, reference_value=Decimal("24.800"),
                          corridor_low=Decimal("24.000"), corridor_high=Decimal("26.000"),
                          target_value=Decimal("25.500"), unit="%")
    m.Goal.objects.create(agreement=world.agreement, order=3, title="Teilnehmende", kind="monitoring",
                          reference_value=Decimal("1250.500"), unit="Personen")
    client = login(world.users.editor)
    client.cookies["django_language"] = language
    body = client.get(urls(world)["tab"]).content.decode()
    assert f'<dd class="col-sm-9">{reference}</dd>' in body
    assert f'<dd class="col-sm-9">{corridor}</dd>' in body
    assert f'<dd class="col-sm-9">{target}</dd>' in body
    assert f'<dd class="col-sm-9">{people}</dd>' in body
    assert "24,800" not in body and "24.800" not in body and "25.500" not in body


def test_it_names_the_values_in_the_readers_number_format(world, login):
    client = login(world.users.editor)
    client.cookies["django_language"] = "en"
    response = client.post(urls(world)["add"], outside(world, reference_value="25", corridor_low="23.5",
                                                       corridor_high="26", target_value="40.5"))
    [message] = response.context["form"].errors["corridor_exception_confirmed"]
    assert "The target value 40.5% lies outside the corridor of 23.5 to 26%." in message


def test_it_wants_a_reason_with_the_confirmation(world, login):
    client = login(world.users.editor)
    response = client.post(urls(world)["add"], outside(world, corridor_exception_confirmed="on"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "corridor_exception_confirmed" not in errors
    assert "Bitte begründen Sie" in errors["corridor_exception_reason"][0]
    # A reason alone is no confirmation.
    response = client.post(urls(world)["add"], outside(world, corridor_exception_reason="Sondereffekt"))
    assert "40,5\u00a0%" in response.context["form"].errors["corridor_exception_confirmed"][0]
    assert "Sondereffekt</textarea>" in response.content.decode()  # kept for the next try
    assert not m.Goal.objects.filter(title="Integrationsquote steigern").exists()


def test_it_saves_a_confirmed_target_value_with_its_reason_and_shows_it(world, login):
    client = login(world.users.editor)
    reason = "Sondereffekt durch die Schließung eines Großbetriebs im Kreisgebiet."
    response = client.post(urls(world)["add"], outside(
        world, corridor_exception_confirmed="on", corridor_exception_reason=f"  {reason}  "))
    assert response.status_code == 302
    goal = m.Goal.objects.get(title="Integrationsquote steigern")
    assert goal.target_value == Decimal("40.5")
    assert goal.corridor_exception_reason == reason
    body = client.get(urls(world)["tab"]).content.decode()
    assert "40,5\u00a0% <span class=\"badge text-bg-warning\">außerhalb des Korridors</span>" in body
    assert "Begründung für den Zielwert außerhalb des Korridors" in body and reason in body

    # Opened again, the confirmation stands; moved back into the corridor, the reason goes.
    form_body = client.get(urls(world, goal)["edit"]).content.decode()
    assert "checked" in form_body.split('name="corridor_exception_confirmed"')[1].split(">")[0]
    assert reason in form_body
    response = client.post(urls(world, goal)["edit"], outside(
        world, target_value="25", corridor_exception_confirmed="on", corridor_exception_reason=reason,
        lock_version=goal.lock_version))
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.target_value, goal.corridor_exception_reason) == (Decimal("25"), "")
    body = client.get(urls(world)["tab"]).content.decode()
    assert reason not in body and "außerhalb des Korridors" not in body


def test_it_refuses_a_target_value_outside_the_corridor_in_the_service(world):
    data = {**goal_data(kind="quantitativ"), "indicator": world.indicator, "unit": "%", "reference_value": None,
            "corridor_low": Decimal(24), "corridor_high": Decimal(26), "target_value": Decimal(40)}
    for reason in (None, "", "   "):
        with pytest.raises(DomainError,
                           match="Der Zielwert 40\u00a0% liegt außerhalb des Korridors von 24 bis 26\u00a0%"):
            svc.save_goal(user=world.users.editor, agreement=world.agreement,
                          data={**data, "corridor_exception_reason": reason})
    assert world.agreement.goals.count() == 1
    goal = svc.save_goal(user=world.users.editor, agreement=world.agreement,
                         data={**data, "corridor_exception_reason": " Sondereffekt "})
    assert goal.corridor_exception_reason == "Sondereffekt"
    # Inside the corridor there is nothing to explain: a reason sent along is not kept.
    goal = svc.save_goal(user=world.users.editor, agreement=world.agreement, goal=goal,
                         lock_version=goal.lock_version,
                         data={**data, "target_value": Decimal(25), "corridor_exception_reason": "Sondereffekt"})
    goal.refresh_from_db()
    assert goal.corridor_exception_reason == ""


def test_it_shows_the_confirmation_on_the_conflict_page(world, login):
    goal = GoalFactory(agreement=world.agreement, kind="quantitativ", indicator=world.indicator, direction="",
                       corridor_low=Decimal(24), corridor_high=Decimal(26), target_value=Decimal(25))
    lock = goal.lock_version
    other = Client()
    other.force_login(make_user("colleague", world.county))
    assert other.post(urls(world, goal)["edit"], quantitative_data(
        world, corridor_low="24", corridor_high="26", target_value="25", title="Von anderer Seite",
        lock_version=lock)).status_code == 302
    response = login(world.users.editor).post(urls(world, goal)["edit"], outside(
        world, corridor_exception_confirmed="on", corridor_exception_reason="Sondereffekt", lock_version=lock))
    assert response.status_code == 409
    rows = {str(row["label"]): row for row in response.context["rows"]}
    confirmation = rows["Ich bestätige den Zielwert außerhalb des Korridors."]
    assert (confirmation["mine"], confirmation["theirs"], confirmation["changed"]) == ("ja", "nein", True)
    assert rows["Begründung für den Zielwert außerhalb des Korridors"]["mine"] == "Sondereffekt"


# Conflicts, history ------------------------------------------------------------------------------------------


def test_it_compares_numbers_on_the_conflict_page_by_value(world, login):
    goal = GoalFactory(agreement=world.agreement, kind="quantitativ", indicator=world.indicator,
                       reference_value=Decimal("12.5"), direction="")
    url = urls(world, goal)["edit"]
    lock = goal.lock_version
    other = Client()
    other.force_login(make_user("colleague", world.county))  # only the county, "am Zug", edits goals
    response = other.post(url, quantitative_data(world, reference_value="12,5", title="Von anderer Seite",
                                                  lock_version=lock))
    assert response.status_code == 302
    response = login(world.users.editor).post(
        url, quantitative_data(world, reference_value="12,500", title=goal.title, lock_version=lock))
    assert response.status_code == 409
    rows = {str(row["label"]): row for row in response.context["rows"]}
    assert rows["Titel"]["changed"]
    assert not rows["Referenzwert"]["changed"]
    # As the goal shows it, not as stored ("12,500").
    assert (rows["Referenzwert"]["mine"], rows["Referenzwert"]["theirs"]) == ("12,5", "12,5")
    assert (rows["Korridor obere Grenze"]["mine"], rows["Zielwert"]["mine"]) == ("15,25", "13,75")


# Frozen agreements ---------------------------------------------------------------------------------------------


def test_it_keeps_assessed_goals(world, login):
    review = m.Review.objects.create(agreement=world.agreement, date=datetime.date(2013, 6, 1))
    m.Assessment.objects.create(review=review, goal=world.goal, status="im_plan")
    response = login(world.users.editor).post(urls(world)["delete"], CONFIRMED, follow=True)
    assert "bereits in einer Zielnachhaltung bewertet" in response.content.decode()
    assert m.Goal.objects.filter(pk=world.goal.pk).exists()


# Order ---------------------------------------------------------------------------------------------------------


def order_of(agreement, level="lokal"):
    return list(agreement.goals.filter(level=level).order_by("order", "id").values_list("title", flat=True))


def test_it_moves_goals_up_and_down_within_their_level(world, login):
    GoalFactory(agreement=world.agreement, order=2, title="Zwei")
    third = GoalFactory(agreement=world.agreement, order=3, title="Drei")
    state = GoalFactory(agreement=world.agreement, order=1, title="Land", level="landesziel")
    client = login(world.users.editor)

    client.post(urls(world, third)["up"])
    assert order_of(world.agreement) == ["Senkung der KdU", "Drei", "Zwei"]
    client.post(urls(world)["up"])  # the first goes nowhere
    assert order_of(world.agreement) == ["Senkung der KdU", "Drei", "Zwei"]
    client.post(urls(world)["down"])
    assert order_of(world.agreement) == ["Drei", "Senkung der KdU", "Zwei"]
    client.post(urls(world, third)["up"])  # already first
    assert order_of(world.agreement) == ["Drei", "Senkung der KdU", "Zwei"]
    state.refresh_from_db()
    assert state.order == 1
    body = client.get(urls(world)["tab"]).content.decode()
    assert body.index("Drei") < body.index("Senkung der KdU") < body.index("Zwei")


def test_it_puts_a_goal_that_changes_level_at_the_end(world, login):
    GoalFactory(agreement=world.agreement, order=1, title="Land 1", level="landesziel")
    GoalFactory(agreement=world.agreement, order=2, title="Land 2", level="landesziel")
    response = login(world.users.editor).post(
        urls(world)["edit"], goal_data(level="landesziel", title="Jetzt Landesziel",
                                       lock_version=world.goal.lock_version))
    assert response.status_code == 302
    assert order_of(world.agreement, "landesziel") == ["Land 1", "Land 2", "Jetzt Landesziel"]


# Queries -------------------------------------------------------------------------------------------------------


def test_it_loads_the_goals_tab_with_a_fixed_number_of_queries(world, login):
    indicators = [m.Indicator.objects.create(code=f"K9E{i}", name=f"Kennzahl {i}") for i in range(5)]

    def grow(total):
        for i in range(world.agreement.goals.count(), total):
            GoalFactory(agreement=world.agreement, kind="quantitativ", indicator=indicators[i % 5],
                        level=("lokal", "landesziel")[i % 2], reference_value=Decimal(i), corridor_low=Decimal(0),
                        corridor_high=Decimal(100), target_value=Decimal(i + 1), unit="%", direction="")

    assert_fixed_queries(login(world.users.editor), urls(world)["tab"], grow, most=15, many=30)
    assert world.agreement.goals.count() == 30
