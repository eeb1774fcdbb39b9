"""The whole way of a 2013 agreement, in the browser: the county drafts it and sends it, the ministry answers a
proposal and revises a goal, both agree and sign, the county writes and releases the committee paper, and a
committee member downloads the papers for the meeting. The steps are in journey.py (shared with the journey
against the installed application in tests/installed/)."""

import datetime
import io

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from pypdf import PdfReader  # noqa: E402

from .helpers import make_pdf, pdf_pages, today  # noqa: E402
from .journey import (  # noqa: E402
    add_goals,
    add_offer,
    add_section,
    agree_and_sign,
    committee_papers,
    create_agreement,
    create_vorlage,
    negotiate,
    read_vorlage,
)


def _future_meeting():
    """The next meeting of the Sozialausschuss; committees and meetings are kept by the admin."""
    from django.utils import timezone

    from agreements import models as m

    committee = m.Committee.objects.get(party__key="kreis-mettmann", name="Sozialausschuss")
    start = timezone.make_aware(datetime.datetime.combine(today() + datetime.timedelta(days=14),
                                                          datetime.time(15, 0)))
    return m.Meeting.objects.create(committee=committee, start=start, location="Kreishaus Mettmann")


@pytest.mark.e2e
def test_it_goes_from_the_first_draft_to_the_committee_papers(pages, demo, audit):
    meeting = _future_meeting()
    county = pages.login("kreis-editor")

    # The county drafts the agreement and sends it.
    pk = create_agreement(county)
    add_section(county)
    add_goals(county)
    add_offer(county)

    # Three Fassungen in turn: the county sends, proposes a wording and a change in words; the ministry adopts the
    # wording, rejects the other with its reason, revises a goal and sends; the county revises and sends again.
    ministry = pages.login("mais-editor")
    negotiate(county, ministry)

    # The ministry accepts the county's third Fassung; both sign.
    agree_and_sign(county, ministry, pk)

    # The county writes the committee paper from the agreement and releases it.
    upload = make_pdf(3)
    reference = create_vorlage(county, str(meeting), meeting.start.date(), upload)

    # A member of the Sozialausschuss finds it among the papers of the coming meeting and downloads them.
    member = pages.login("ausschuss")
    papers = committee_papers(member, reference)
    name, vorlage_pdf = papers.vorlage
    assert name == f"Vorlage-{reference.replace('/', '-')}.pdf"
    vorlage_pages = pdf_pages(vorlage_pdf)
    assert vorlage_pages >= 2
    _, bundle = papers.bundle
    anlage_pages = [pdf_pages(content) for _, content in papers.anlagen]
    assert anlage_pages[1] == 3  # the uploaded list, unchanged

    reader = PdfReader(io.BytesIO(bundle))
    outline = [item for item in reader.outline if not isinstance(item, list)]
    starts = [reader.get_destination_page_number(item) for item in outline]
    # Bookmarks: the contents, the Vorlage, one per Anlage; the Vorlage starts right after the contents.
    assert len(outline) == 2 + len(anlage_pages)
    toc_pages = starts[1]
    assert toc_pages >= 1
    assert len(reader.pages) == toc_pages + vorlage_pages + sum(anlage_pages)
    assert starts[2:] == [toc_pages + vorlage_pages, toc_pages + vorlage_pages + anlage_pages[0]]

    # The reading view of the paper.
    read_vorlage(member, reference)

    # Every page on the way passed axe (WCAG 2.0/2.1 A, AA) and the structure checks (see a11y.py).
    assert len(audit.pages) >= 30
    assert not audit.problems, audit.report()
