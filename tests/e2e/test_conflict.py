"""Optimistic locking in two real browsers: the second of two edits of the same goal does not overwrite the first,
but sees what changed. Only the party "am Zug" edits the working text, so the two edits are one editor's,
in two browser sessions (a second window, another workplace): the ministry's, whose turn it is in the demo's Neuss
case."""

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from .helpers import expect_heading, expect_message, field, main, named  # noqa: E402


def _open_goal_form(page, agreement, title):
    page.goto(f"/vereinbarungen/{agreement.pk}/ziele/")
    main(page).get_by_role("link", name=named("Bearbeiten", title)).click()
    expect_heading(page, "Ziel bearbeiten")
    return page


@pytest.mark.e2e
def test_it_shows_a_conflict_instead_of_overwriting(pages, demo):
    from agreements import models as m

    # The Rhein-Kreis Neuss's 2012 agreement is still in negotiation, and the ministry is "am Zug".
    agreement = m.Agreement.objects.get(agreement_parties__party__key="rhein-kreis-neuss", year=2012,
                                        agreement_parties__role="kommunaler_traeger")
    goal = agreement.goals.order_by("order", "pk").first()
    first = _open_goal_form(pages.login("mais-editor"), agreement, goal.title)
    second = _open_goal_form(pages.login("mais-editor"), agreement, goal.title)

    field(first, "Titel").fill("Senkung der KdU (Fassung des Kreises)")
    first.get_by_role("button", name="Speichern").click()
    expect_message(first, "Das Ziel wurde gespeichert.")

    field(second, "Titel").fill("Senkung der KdU (zweites Fenster)")
    field(second, "Beschreibung").fill("Im zweiten Fenster geändert.")
    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.get_by_role("button", name="Speichern").click()
    assert answer.value.status == 409
    expect_heading(second, "Bearbeitungskonflikt")
    expect(second.get_by_role("alert")).to_contain_text("Letzte Änderung: Miriam Maier")
    changed = main(second).get_by_role("row").filter(has_text="abweichend")
    title_row = changed.filter(has=second.get_by_role("rowheader", name="Titel"))
    expect(title_row).to_have_count(1)
    expect(title_row.get_by_role("cell").nth(0)).to_have_text("Senkung der KdU (zweites Fenster)")
    expect(title_row.get_by_role("cell").nth(1)).to_have_text("Senkung der KdU (Fassung des Kreises)")
    expect(changed.filter(has=second.get_by_role("rowheader", name="Beschreibung"))).to_have_count(1)

    goal.refresh_from_db()
    assert goal.title == "Senkung der KdU (Fassung des Kreises)"
    assert goal.text != "Im zweiten Fenster geändert."

    # Reopening the form starts from the stored state.
    main(second).get_by_role("link", name="Formular mit aktuellem Stand öffnen").click()
    expect(field(second, "Titel")).to_have_value("Senkung der KdU (Fassung des Kreises)")
