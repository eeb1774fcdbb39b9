"""Who is told: for every kind of message and every role of the cast (tests/conftest.py), exactly the users the rule
concerns among those who may open the object (notifications/rules.py), and never who acted.

The expected recipients are written out per kind as data, derived from the rules and from agreements.policy: the
parties' members (editor and reader) for the agreement's steps, the committee's member for a Vorlage; never the
outsider of another county, the committee member for an agreement, the superuser (who is party to nothing) nor the
user who acted. Each case runs the real service, and the tasks and the mail run as `make run` runs them.
"""

import datetime

import pytest
from django.core import mail as outbox
from django.utils import timezone

from agreements import models as m
from agreements.policy import access, vorlage_access
from agreements.services import lifecycle, negotiation, versions
from agreements.services import vorlagen as vorlage_svc
from notifications import kinds
from notifications.models import Notice

from .builders_lifecycle import agree, sign_data
from .builders_notifications import give_addresses, immediate_tasks  # noqa: F401 - fixture
from .factories import ROLES, make_user
from .vorlage_builders import make_vorlage, vorlage_world

pytestmark = pytest.mark.django_db

ALL_KINDS = ("fassung_received", "proposal_decided", "text_accepted", "signature_requested", "signature_made",
             "signature_refused", "agreement_signed", "vorlage_released", "meeting_papers")


@pytest.fixture(autouse=True)
def fast_signed_pdf(monkeypatch):
    """The last signature stores the signed PDF; its rendering is not what these tests are about."""
    from agreements.pdf import render

    from .vorlage_builders import stub_pdfs

    stub_pdfs(monkeypatch)
    monkeypatch.setattr(render, "pdf_from_html", lambda html, **kw: render.RenderedPdf(
        content=b"%PDF-1.7\n%%EOF\n", sha256="0" * 64, html=html))


@pytest.fixture
def cast(world, immediate_tasks):  # noqa: F811
    return give_addresses(world)


def received(cast):
    """{kind: set of roles} of the mails sent."""
    got = {}
    for sent in outbox.outbox:
        notice = Notice.objects.filter(mail__to=sent.to[0], mail__subject=sent.subject).first()
        got.setdefault(notice.kind, set()).add(sent.to[0].split("@")[0])
    return got


def run(capture, action):
    with capture(execute=True):
        action()


# Each case: what happened before (its mails are not counted), what happens (by whom), per kind the roles told.
def send_by_county(w):
    versions.send_draft(user=w.users.editor, agreement=w.agreement)


def send_by_ministry(w):
    m.Agreement.objects.filter(pk=w.agreement.pk).update(pen_party=w.ministry)
    w.agreement.refresh_from_db()
    versions.send_draft(user=w.users.ministry, agreement=w.agreement)


def decide(w):
    negotiation.decide_proposal(user=w.users.editor, proposal=w.proposal, data={"decision": "uebernommen"},
                                lock_version=w.proposal.lock_version)


def accept(w):
    lifecycle.agree(user=w.users.ministry, agreement=w.agreement)


def sign_county(w):
    lifecycle.sign(user=w.users.editor, agreement=w.agreement, data=sign_data())


def sign_ministry(w):
    lifecycle.sign(user=w.users.ministry, agreement=w.agreement,
                   data=sign_data("Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf"))


def agreed_and_county_signed(w):
    agree(w)
    sign_county(w)


def refuse(w):
    lifecycle.refuse(user=w.users.editor, agreement=w.agreement, reason="Landesziel fehlt")


def release(public):
    def act(w):
        vorlage = make_vorlage(vorlage_world(w), public=public)
        vorlage_svc.release(user=w.users.editor, vorlage=vorlage)
    return act


CASES = {
    "county sends a Fassung": (None, send_by_county, {"fassung_received": {"ministry"}}),
    "ministry sends a Fassung": (None, send_by_ministry, {"fassung_received": {"editor", "reader"}}),
    "county decides the ministry's proposal": (None, decide, {"proposal_decided": {"ministry"}}),
    # The county's Fassung accepted by the ministry: the text is agreed, both parties are to sign (not who acted).
    "ministry accepts": (send_by_county, accept, {"text_accepted": {"editor", "reader"},
                                                  "signature_requested": {"editor", "reader"}}),
    "county signs first": (agree, sign_county, {"signature_made": {"ministry"}}),
    "ministry signs last": (agreed_and_county_signed, sign_ministry, {"signature_made": {"editor", "reader"},
                                                                     "agreement_signed": {"editor", "reader"}}),
    "county refuses to sign": (agree, refuse, {"signature_refused": {"ministry"}}),
    "public Vorlage released": (None, release(True), {"vorlage_released": {"committee"},
                                                      "meeting_papers": {"committee"}}),
    "non-public Vorlage released": (None, release(False), {"vorlage_released": {"committee"},
                                                           "meeting_papers": {"committee"}}),
}


def happen(capture, w, case):
    before, act, expected = CASES[case]
    if before is not None:
        run(capture, lambda: before(w))
        w.agreement.refresh_from_db()
    outbox.outbox.clear()
    Notice.objects.all().delete()
    run(capture, lambda: act(w))
    return expected


def test_every_kind_has_a_case():
    covered = {kind for _before, _act, expected in CASES.values() for kind in expected}
    assert covered == set(ALL_KINDS)
    assert set(ALL_KINDS) <= set(kinds.KINDS)


@pytest.mark.parametrize("case", CASES)
def test_exactly_the_users_concerned_who_may_open_it_are_told(cast, case, django_capture_on_commit_callbacks):
    expected = happen(django_capture_on_commit_callbacks, cast, case)
    got = received(cast)
    assert got == expected
    # Per role, as the permission matrix lists them: told exactly where expected.
    for role in ROLES:
        for kind in ALL_KINDS:
            assert (role in got.get(kind, set())) == (role in expected.get(kind, set())), (case, kind, role)


@pytest.mark.parametrize("case", CASES)
def test_every_recipient_may_open_what_the_mail_links_to(cast, case, django_capture_on_commit_callbacks, client):
    happen(django_capture_on_commit_callbacks, cast, case)
    assert outbox.outbox
    for notice in Notice.objects.select_related("user"):
        client.force_login(notice.user)
        path = notice.url.removeprefix("https://zs.example")
        assert client.get(path).status_code == 200, (case, notice.kind, notice.user, path)


def test_a_non_public_paper_reaches_only_the_members_of_its_committees(cast, django_capture_on_commit_callbacks):
    w = cast
    vw = vorlage_world(w)
    other_member = make_user("kreisausschuss", email="ka@example.org")
    m.CommitteeMembership.objects.create(committee=vw.second_committee, user=other_member)
    former = make_user("ehemalig", email="ehemalig@example.org")
    m.CommitteeMembership.objects.create(committee=w.committee, user=former,
                                         end_date=timezone.localdate() - datetime.timedelta(days=1))
    vorlage = make_vorlage(vw, public=False)
    run(django_capture_on_commit_callbacks, lambda: vorlage_svc.release(user=w.users.editor, vorlage=vorlage))
    told = {sent.to[0] for sent in outbox.outbox}
    assert told == {"committee@example.org"}
    vorlage.refresh_from_db()
    assert not vorlage_access.can_read_vorlage(other_member, vorlage)
    assert not vorlage_access.can_read_vorlage(former, vorlage)


@pytest.mark.parametrize("case", CASES)
def test_a_neuss_editor_never_gets_a_mettmann_mail(cast, case, django_capture_on_commit_callbacks):
    """The outsider (editor of another county), here also a member of a committee of its own county: whatever
    happens on Mettmann's agreement or papers, nothing reaches them."""
    w = cast
    own = m.Committee.objects.create(party=w.other_county, name="Kreistag Nachbar")
    m.CommitteeMembership.objects.create(committee=own, user=w.users.outsider)
    happen(django_capture_on_commit_callbacks, w, case)
    assert outbox.outbox
    assert all(sent.to != ["outsider@example.org"] for sent in outbox.outbox)
    assert not access.can_read_agreement(w.users.outsider, w.agreement)


def test_inactive_users_and_users_without_address_are_skipped(cast, django_capture_on_commit_callbacks):
    w = cast
    make_user("ohne-adresse", w.ministry)
    make_user("inaktiv", w.ministry, is_active=False, email="inaktiv@example.org")
    run(django_capture_on_commit_callbacks, lambda: send_by_county(w))
    assert [sent.to for sent in outbox.outbox] == [["ministry@example.org"]]
    assert Notice.objects.count() == 1


def test_a_vorlage_without_agreement_is_announced_too(cast, django_capture_on_commit_callbacks):
    w = cast
    vw = vorlage_world(w)
    vorlage = make_vorlage(vw, public=True, agreement=None)
    assert vorlage.agreement_id is None
    run(django_capture_on_commit_callbacks, lambda: vorlage_svc.release(user=w.users.editor, vorlage=vorlage))
    assert {n.kind for n in Notice.objects.all()} == {"vorlage_released", "meeting_papers"}


def test_papers_of_a_meeting_are_told_once_per_meeting(cast, django_capture_on_commit_callbacks):
    w = cast
    vw = vorlage_world(w)
    first, second = make_vorlage(vw, name="Erste"), make_vorlage(vw, name="Zweite")
    for vorlage in (first, second):
        run(django_capture_on_commit_callbacks, lambda v=vorlage: vorlage_svc.release(user=w.users.editor,
                                                                                     vorlage=v))
    kinds_told = sorted(n.kind for n in Notice.objects.filter(user=w.users.committee))
    assert kinds_told == ["meeting_papers", "vorlage_released", "vorlage_released"]


def test_nothing_is_sent_before_the_commit(cast, django_capture_on_commit_callbacks):
    w = cast
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_by_county(w)
        assert outbox.outbox == [] and Notice.objects.count() == 0
    assert len(callbacks) >= 1


def test_a_paper_put_on_a_coming_agenda_after_its_release_is_told_once_per_meeting(
        cast, django_capture_on_commit_callbacks):
    """Released without a meeting named, the paper reaches the committee's members as "papers available" when an
    admin puts it on the agenda of a coming meeting; a past meeting, a draft and a second item tell nobody."""
    w = cast
    vw = vorlage_world(w)
    vorlage, draft = make_vorlage(vw), make_vorlage(vw, name="Entwurf")
    m.Consultation.objects.update(meeting=None, meeting_date=None)
    run(django_capture_on_commit_callbacks, lambda: vorlage_svc.release(user=w.users.editor, vorlage=vorlage))
    assert sorted(n.kind for n in Notice.objects.all()) == ["vorlage_released"]
    consultation = vorlage.consultations.get()
    past = m.Meeting.objects.create(committee=vw.committee, start=timezone.now() - datetime.timedelta(days=30))

    def put_on_agenda(meeting, consultation, number):
        m.AgendaItem.objects.create(meeting=meeting, number=number, order=int(number), name="Zielsteuerung",
                                    consultation=consultation)

    run(django_capture_on_commit_callbacks, lambda: put_on_agenda(past, consultation, "1"))
    run(django_capture_on_commit_callbacks, lambda: put_on_agenda(vw.meeting, draft.consultations.get(), "2"))
    assert not Notice.objects.filter(kind="meeting_papers").exists()
    run(django_capture_on_commit_callbacks, lambda: put_on_agenda(vw.meeting, consultation, "3"))
    told = Notice.objects.filter(kind="meeting_papers")
    assert [n.user for n in told] == [w.users.committee]
    assert told.get().key == f"meeting:{vw.committee.pk}:{timezone.localdate(vw.meeting.start).isoformat()}"
    run(django_capture_on_commit_callbacks, lambda: put_on_agenda(vw.meeting, consultation, "4"))
    assert told.count() == 1
