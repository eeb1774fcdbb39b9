"""The main steps of the journey with the keyboard alone: Tab to move, Enter or Space to activate, typing into the
focused field. No click and no mouse anywhere; the pages record any pointer event, and there must be none."""

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from .helpers import expect_heading, expect_message, field, main  # noqa: E402

TAB_LIMIT = 80
GOAL = "Beratungsketten für Alleinerziehende ausbauen"

# Counts pointer events in every document of the context; sessionStorage survives the page loads of one tab.
POINTER_SPY = """
for (const type of ['pointerdown', 'mousedown', 'click']) {
  addEventListener(type, (event) => {
    if (event.isTrusted && event.detail > 0) {
      sessionStorage.setItem('pointer-events', String(Number(sessionStorage.getItem('pointer-events') || 0) + 1));
    }
  }, true);
}
"""

FOCUS_STYLE = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {tag: el.tagName, id: el.id, text: (el.textContent || '').trim().slice(0, 60), outline, shadow,
          outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth, boxShadow: style.boxShadow};
}
"""


def is_focused(locator):
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, target, limit=TAB_LIMIT):
    """Press Tab until `target` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(target):
            return target
    focused = page.evaluate(FOCUS_STYLE)
    raise AssertionError(f"{target} not reached with {limit} Tab presses; focus is on {focused}")


def assert_focus_visible(page):
    style = page.evaluate(FOCUS_STYLE)
    assert style["outline"] or style["shadow"], f"the focused element has no visible focus indicator: {style}"


@pytest.mark.e2e
def test_it_works_with_the_keyboard_alone(pages, demo):
    from agreements import models as m

    agreement = m.Agreement.objects.get(agreement_parties__party__key="jobcenter-kreis-mettmann",
                                        status=m.Agreement.Status.DRAFT)
    page = pages.page()
    page.context.add_init_script(POINTER_SPY)
    page.goto("/anmelden/")

    # Log in. The login form may put the focus into the user name itself (autofocus); otherwise Tab to it.
    username = field(page, "Benutzername")
    if not is_focused(username):
        tab_to(page, username)
    assert_focus_visible(page)
    page.keyboard.type("kreis-editor")
    page.keyboard.press("Tab")
    assert is_focused(field(page, "Passwort"))
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    expect_heading(page, "Übersicht")

    # On a fresh page the skip link is the first tab stop, becomes visible and moves the focus to <main>.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    assert is_focused(skip), f"the skip link is not the first tab stop: {page.evaluate(FOCUS_STYLE)}"
    expect(skip).to_be_visible()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    # The URL changes before the browser moves the focus; wait for the focus rather than read it once.
    expect(page.locator("main#main")).to_be_focused()

    # From <main>, Tab goes on in the content: the dashboard's link to the agreement list.
    tab_to(page, main(page).get_by_role("link", name="Alle Zielvereinbarungen"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect_heading(page, "Zielvereinbarungen")
    # The list links the short title; the full title stands under it on the same row.
    tab_to(page, main(page).get_by_role("row").filter(has_text=agreement.title).get_by_role("link").first)
    page.keyboard.press("Enter")
    expect_heading(page, agreement.title)
    tab_to(page, page.get_by_role("navigation", name="Bereiche der Zielvereinbarung").get_by_role(
        "link", name="Ziele", exact=True))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Ziele", exact=True)).to_be_visible()

    # Add a goal, every field reached with Tab; the select takes the typed option, Space presses the button.
    tab_to(page, main(page).get_by_role("link", name="Ziel hinzufügen", exact=True))
    page.keyboard.press("Enter")
    expect_heading(page, "Ziel hinzufügen")
    tab_to(page, field(page, "Zielart"))
    assert_focus_visible(page)
    expect(field(page, "Zielart")).to_have_value("qualitativ")
    tab_to(page, field(page, "Titel"), limit=4)
    page.keyboard.type(GOAL)
    page.keyboard.press("Tab")
    assert is_focused(field(page, "Beschreibung"))
    page.keyboard.type("Mit den Trägern vor Ort werden Beratungsketten vereinbart.")
    page.keyboard.press("Tab")
    assert is_focused(field(page, "Tendenz"))
    page.keyboard.type("Steig")
    expect(field(page, "Tendenz")).to_have_value("steigerung")
    tab_to(page, main(page).get_by_role("button", name="Speichern"))
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect_message(page, "Das Ziel wurde angelegt.")
    goal = agreement.goals.get(title=GOAL)
    assert (goal.kind, goal.direction) == ("qualitativ", "steigerung")

    # Send the draft from the versions tab.
    tab_to(page, page.get_by_role("navigation", name="Bereiche der Zielvereinbarung").get_by_role(
        "link", name="Fassungen", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Fassungen", exact=True)).to_be_visible()
    tab_to(page, field(page, "Anmerkung zur Übersendung"))
    assert_focus_visible(page)
    page.keyboard.type("Entwurf mit dem neuen Ziel.")
    tab_to(page, main(page).get_by_role("button", name="Entwurf übersenden"), limit=3)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    # Sending asks first: the question has the focus when the page opens, the confirming button is the next stop
    # after the consequences (the way back comes after it), and Enter sends.
    expect_heading(page, "Fassung 1 übersenden?")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    confirm = main(page).get_by_role("button", name="Fassung 1 übersenden", exact=True)
    tab_to(page, confirm, limit=1)
    assert_focus_visible(page)
    assert not agreement.versions.exists(), "the form's own POST sent the draft without asking"
    page.keyboard.press("Enter")
    expect_message(page, "Fassung 1 wurde übersandt.")
    version = agreement.versions.get()
    assert version.note == "Entwurf mit dem neuen Ziel."
    assert GOAL in [g["title"] for g in version.snapshot["goals"]]

    assert page.evaluate("() => sessionStorage.getItem('pointer-events')") is None, "a pointer was used"
