"""In the browser: the county sends its Fassung, and the ministry editor's mailbox (an SMTP server on loopback) holds
the notice, whose link, opened by the ministry editor, shows that Fassung."""

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from ..builders_notifications import IMMEDIATE, smtp_server, use_smtp  # noqa: E402
from .helpers import expect_heading, main  # noqa: E402
from .journey import TITLE, add_goals, add_section, create_agreement, send_draft  # noqa: E402


@pytest.mark.e2e
def test_the_ministry_editors_mailbox_holds_the_notice_with_a_working_link(pages, demo, settings, live_server):
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = live_server.url
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        county = pages.login("kreis-editor")
        pk = create_agreement(county)
        add_section(county)
        add_goals(county)
        send_draft(county, 1, "Erster Entwurf des Kreises Mettmann.")
    [received] = [m for m in mailbox.messages if m.to == ["mais-editor@demo.invalid"]]
    message = received.message
    assert message["Subject"].strip().startswith("Fassung 1 von Kreis Mettmann erhalten:")
    text = message.get_body(("plain",)).get_content()
    link = re.search(rf"Zur Fassung: ({re.escape(live_server.url)}\S+)", text).group(1)
    assert link == f"{live_server.url}/vereinbarungen/{pk}/fassungen/1/"
    # Only the ministry, the party that received it, was told; the county's reader too is a party member but
    # the county sent it.
    assert all(m.to == ["mais-editor@demo.invalid"] for m in mailbox.messages)

    ministry = pages.login("mais-editor")
    ministry.goto(link)
    expect(ministry).to_have_url(link)
    expect_heading(ministry, TITLE)
    expect(main(ministry)).to_contain_text("Fassung 1")
