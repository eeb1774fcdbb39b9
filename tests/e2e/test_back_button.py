"""The back button after a create form, in a real browser: "Zurück" brings the form back with what was typed, and
"Speichern" once more does not create the same entry a second time (views.base.once): the page says that it was
created already, and a second, identical entry takes one more deliberate click."""

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from .helpers import expect_heading, expect_message, field, main  # noqa: E402
from .journey import create_agreement, fill_agreement_form  # noqa: E402

TITLE = "Zielvereinbarung 2014 zwischen dem MAIS NRW und dem Kreis Mettmann"


@pytest.mark.e2e
def test_back_and_save_again_creates_no_second_agreement(pages, demo):
    from agreements import models as m

    county = pages.login("kreis-editor")
    create_agreement(county, TITLE)
    assert m.Agreement.objects.filter(title=TITLE).count() == 1

    county.go_back()
    expect_heading(county, "Neue Zielvereinbarung")
    if not field(county, "Titel").input_value():  # the browser did not keep what was typed: type it again
        fill_agreement_form(county, TITLE)
    county.get_by_role("button", name="Speichern").click()
    expect(main(county)).to_contain_text("Er wurde nicht noch einmal angelegt.")
    assert m.Agreement.objects.filter(title=TITLE).count() == 1

    # On purpose: the same once more, from the answer, is the second entry.
    county.get_by_role("button", name="Speichern").click()
    expect_message(county, "Die Zielvereinbarung wurde angelegt.")
    assert m.Agreement.objects.filter(title=TITLE).count() == 2

