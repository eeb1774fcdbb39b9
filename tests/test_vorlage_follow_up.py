"""A postponed item comes back (as in ALLRIS or SessionNet): after "vertagt" the author adds the next consultation
of the same committee to the frozen Beratungsfolge; completion needs every committee to have dealt with the paper.
Also: the result page's refusal names why per status.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.models.agreements import ImmutableRecordError
from agreements.pdf.vorlage import vorlage_context
from agreements.services import vorlagen as svc

from .builders_queries import assert_fixed_queries
from .factories import aware
from .vorlage_builders import S, make_vorlage, soon, stub_pdfs, vorlage_world

pytestmark = pytest.mark.django_db

R = m.Consultation.Result


@pytest.fixture
def vw(world, monkeypatch):
    stub_pdfs(monkeypatch)
    return vorlage_world(world)


def postponed_paper(vw, *, public=False, agreement=None):
    """In Beratung: the Sozialausschuss took note; the Kreisausschuss (authoritative, decides) postponed it."""
    vorlage = make_vorlage(vw, status=S.IN_CONSULTATION, public=public, agreement=agreement)
    social = vorlage.consultations.get()
    m.Consultation.objects.filter(pk=social.pk).update(result=R.NOTED)
    # Written past the guard, as the release and the results recorded since would have left it.
    (board,) = m.Consultation.objects.bulk_create([m.Consultation(
        paper_id=vorlage.pk, committee=vw.second_committee, order=2, meeting=vw.second_meeting, meeting_date=soon(),
        role=m.Consultation.Role.DECISION, authoritative=True, result=R.POSTPONED)])
    return vorlage, m.Consultation.objects.get(pk=board.pk)


def later_meeting(vw, days=28, committee=None):
    day = soon() + datetime.timedelta(days=days)
    return m.Meeting.objects.create(committee=committee or vw.second_committee,
                                    start=aware(day.year, day.month, day.day, 10))


def follow_up_url(vorlage, consultation):
    return reverse("vorlage_consultation_follow_up", args=[vorlage.pk, consultation.pk])


def messages_of(response):
    return [str(msg) for msg in get_messages(response.wsgi_request)]


def stored(vorlage):
    return list(m.Consultation.objects.filter(paper_id=vorlage.pk).order_by("order").values_list(
        "committee__name", "meeting_date", "role", "authoritative", "result"))


# --- The service --------------------------------------------------------------------------------------------------


def test_it_adds_the_next_consultation_of_the_postponed_committee(vw):
    vorlage, board = postponed_paper(vw, agreement=vw.world.agreement)
    meeting = later_meeting(vw)
    with pytest.raises(DomainError, match="Vertagt wurde die Beratung in: Kreisausschuss"):
        svc.complete(user=vw.users.editor, vorlage=vorlage)
    follow_up = svc.add_follow_up(user=vw.users.editor, consultation=board, data={"meeting": meeting})
    day = soon() + datetime.timedelta(days=28)
    assert stored(vorlage) == [
        ("Sozialausschuss", soon(), "kenntnisnahme", False, R.NOTED),
        ("Kreisausschuss", soon(), "entscheidung", True, R.POSTPONED),  # keeps what happened
        ("Kreisausschuss", day, "entscheidung", True, ""),
    ]
    assert (follow_up.meeting, follow_up.order) == (meeting, 3)
    step = vw.world.agreement.steps.get(action="vorlage.follow_up_added")
    assert step.data["committee"] == "Kreisausschuss"
    assert step.display_title == f"Vorlage {vorlage.reference}: Kreisausschuss – erneute Beratung"
    assert step.display_description == (
        f"Die im Gremium „Kreisausschuss“ am {soon():%d.%m.%Y} vertagte Vorlage {vorlage.reference} wird dort am "
        f"{day:%d.%m.%Y} erneut beraten.")
    # The follow-up needs its own result; then the paper is completed, "vertagt" and all.
    missing = f"Es fehlt noch das Ergebnis der Beratung in: Kreisausschuss, {day:%d.%m.%Y}"
    with pytest.raises(DomainError, match=missing):
        svc.complete(user=vw.users.editor, vorlage=vorlage)
    svc.record_result(user=vw.users.editor, consultation=follow_up, result=R.DECIDED)
    assert svc.complete(user=vw.users.editor, vorlage=vorlage).status == S.DONE
    assert [row[-1] for row in stored(vorlage)] == [R.NOTED, R.POSTPONED, R.DECIDED]
    # The paper's Beratungsfolge (the reading view's and the PDF's context) lists both meetings.
    rows = [(c["committee"], c["date"], c["role"]) for c in vorlage_context(vorlage)["consultations"]]
    assert rows[1:] == [("Kreisausschuss", soon(), "Entscheidung"), ("Kreisausschuss", day, "Entscheidung")]


def test_it_takes_a_postponed_follow_up_up_again(vw):
    vorlage, board = postponed_paper(vw)
    first = svc.add_follow_up(user=vw.users.editor, consultation=board,
                              data={"meeting_date": soon() + datetime.timedelta(days=7)})
    svc.record_result(user=vw.users.editor, consultation=first, result=R.POSTPONED)
    second = svc.add_follow_up(user=vw.users.editor, consultation=first,
                               data={"meeting_date": soon() + datetime.timedelta(days=14)})
    svc.record_result(user=vw.users.editor, consultation=second, result=R.DECIDED)
    assert svc.complete(user=vw.users.editor, vorlage=vorlage).status == S.DONE


@pytest.mark.parametrize("data, error", [
    ({}, "Bitte wählen Sie die Sitzung, in der erneut beraten wird"),
    ({"meeting_date": soon()}, f"Die erneute Beratung muss nach der vertagten Sitzung am {soon():%d.%m.%Y} liegen."),
    ({"meeting_date": soon() - datetime.timedelta(days=1)}, "nach der vertagten Sitzung"),
    ({"meeting_date": datetime.date(2101, 1, 1)}, "muss zwischen 2005 und 2100 liegen"),
    ("other committee", "Die Sitzung ist keine Sitzung dieses Gremiums."),
])
def test_it_refuses_a_follow_up_that_is_not_later_in_the_same_committee(vw, data, error):
    vorlage, board = postponed_paper(vw)
    if data == "other committee":
        data = {"meeting": later_meeting(vw, committee=vw.committee)}
    before = stored(vorlage)
    with pytest.raises(DomainError, match=error):
        svc.add_follow_up(user=vw.users.editor, consultation=board, data=data)
    assert stored(vorlage) == before


def test_it_adds_a_follow_up_only_to_a_postponed_consultation_not_yet_followed(vw):
    vorlage, board = postponed_paper(vw)
    social = vorlage.consultations.get(order=1)
    data = {"meeting_date": soon() + datetime.timedelta(days=7)}
    with pytest.raises(DomainError, match="Erneut beraten wird nur eine vertagte Beratung"):
        svc.add_follow_up(user=vw.users.editor, consultation=social, data=data)
    svc.add_follow_up(user=vw.users.editor, consultation=board, data=data)
    before = stored(vorlage)
    with pytest.raises(DomainError, match="Erneut beraten wird nur eine vertagte Beratung"):  # sent twice
        svc.add_follow_up(user=vw.users.editor, consultation=board, data=data)
    # Its "vertagt" stays: the result belongs to the next consultation now.
    with pytest.raises(DomainError, match="Erfassen Sie das Ergebnis dort"):
        svc.record_result(user=vw.users.editor, consultation=board, result=R.DECIDED)
    assert stored(vorlage) == before


@pytest.mark.parametrize("status, error", [
    (S.DRAFT, "noch ein Entwurf"),
    (S.RELEASED, "Es ist noch kein Ergebnis erfasst"),
    (S.DONE, "Die Vorlage ist erledigt: Ihre Beratung ist abgeschlossen"),
    (S.WITHDRAWN, "Die Vorlage ist zurückgezogen: Ihre Beratung ist beendet"),
])
def test_it_adds_a_follow_up_only_while_the_paper_is_in_consultation(vw, status, error):
    vorlage, board = postponed_paper(vw)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(status=status)
    before = stored(vorlage)
    with pytest.raises(DomainError, match=error):
        svc.add_follow_up(user=vw.users.editor, consultation=board,
                          data={"meeting_date": soon() + datetime.timedelta(days=7)})
    assert stored(vorlage) == before


@pytest.mark.parametrize("role", ["reader", "committee", "admin", "ministry", "outsider"])
def test_it_refuses_the_follow_up_to_non_editors(vw, role):
    vorlage, board = postponed_paper(vw)
    with pytest.raises(PermissionDenied):
        svc.add_follow_up(user=getattr(vw.users, role), consultation=board,
                          data={"meeting_date": soon() + datetime.timedelta(days=7)})
    assert vorlage.consultations.count() == 2


def test_it_keeps_the_frozen_beratungsfolge_closed_to_anything_else(vw):
    """The model's wall: after the release only a postponed committee's next consultation joins the list."""
    vorlage, board = postponed_paper(vw)
    kwargs = dict(paper_id=vorlage.pk, meeting_date=soon() + datetime.timedelta(days=7), order=3)
    for wrong in (dict(committee=vw.committee, role="kenntnisnahme"),  # a committee that did not postpone
                  dict(committee=vw.second_committee, role="vorberatung", authoritative=True),  # another role
                  dict(committee=vw.second_committee, role="entscheidung", authoritative=True, result=R.DECIDED),
                  dict(committee=vw.second_committee, role="entscheidung", authoritative=True, order=1)):
        with pytest.raises(ImmutableRecordError):
            m.Consultation.objects.create(**{**kwargs, **wrong})
    m.Vorlage.objects.filter(pk=vorlage.pk).update(status=S.DONE)
    with pytest.raises(ImmutableRecordError):
        m.Consultation.objects.create(**kwargs, committee=vw.second_committee, role="entscheidung",
                                      authoritative=True)
    assert vorlage.consultations.count() == 2


def test_it_withdraws_the_follow_up_and_keeps_the_postponement(vw):
    vorlage, board = postponed_paper(vw)
    follow_up = svc.add_follow_up(user=vw.users.editor, consultation=board,
                                  data={"meeting_date": soon() + datetime.timedelta(days=7)})
    svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="Neu verhandelt.")
    assert m.Consultation.objects.get(pk=board.pk).result == R.POSTPONED
    assert m.Consultation.objects.get(pk=follow_up.pk).result == R.WITHDRAWN


# --- The page -----------------------------------------------------------------------------------------------------


def test_it_adds_the_follow_up_through_the_page(vw, login):
    vorlage, board = postponed_paper(vw)
    meeting = later_meeting(vw)
    client = login(vw.users.editor)
    page = client.get(follow_up_url(vorlage, board))
    assert page.status_code == 200
    assert list(page.context["form"].fields["meeting"].queryset) == [meeting, vw.second_meeting]
    assert "Erneute Beratung nach Vertagung: Kreisausschuss" in page.content.decode()
    response = client.post(follow_up_url(vorlage, board), {"meeting": meeting.pk})
    assert response.status_code == 302 and response.url == reverse("vorlage_detail", args=[vorlage.pk])
    assert stored(vorlage)[-1] == ("Kreisausschuss", soon() + datetime.timedelta(days=28), "entscheidung", True, "")
    # Followed now: the page sends the user back, with the reason.
    again = client.post(follow_up_url(vorlage, board), {"meeting": meeting.pk})
    assert again.status_code == 302 and any("Erneut beraten wird nur" in msg for msg in messages_of(again))
    assert vorlage.consultations.count() == 3


@pytest.mark.parametrize("data, field", [
    ({}, "__all__"),
    ({"meeting_date": "kein Datum"}, "meeting_date"),
    ({"meeting_date": "2101-01-01"}, "meeting_date"),
    ({"meeting": "999999"}, "meeting"),
    ("other committee", "meeting"),
    ("same day", "__all__"),
])
def test_it_refuses_bad_follow_up_input_in_the_form(vw, login, data, field):
    vorlage, board = postponed_paper(vw)
    if data == "other committee":
        data = {"meeting": later_meeting(vw, committee=vw.committee).pk}
    elif data == "same day":
        data = {"meeting_date": soon().isoformat()}  # the service's check, reported in the form
    before = stored(vorlage)
    steps = m.ProcedureStep.objects.count()
    response = login(vw.users.editor).post(follow_up_url(vorlage, board), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert stored(vorlage) == before and m.ProcedureStep.objects.count() == steps


@pytest.mark.parametrize("status", [S.DRAFT, S.RELEASED, S.DONE, S.WITHDRAWN])
def test_it_sends_the_follow_up_page_back_when_the_status_does_not_allow_it(vw, login, status):
    vorlage, board = postponed_paper(vw)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(status=status)
    before = stored(vorlage)
    client = login(vw.users.editor)
    for response in (client.get(follow_up_url(vorlage, board)),
                     client.post(follow_up_url(vorlage, board), {"meeting_date": "2040-01-01"})):
        assert response.status_code == 302 and response.url == reverse("vorlage_detail", args=[vorlage.pk])
        assert messages_of(response)
    assert stored(vorlage) == before


def test_it_sends_the_follow_up_page_of_a_consultation_that_was_not_postponed_back(vw, login):
    vorlage, _board = postponed_paper(vw)
    social = vorlage.consultations.get(order=1)
    response = login(vw.users.editor).get(follow_up_url(vorlage, social))
    assert response.status_code == 302
    assert any("Erneut beraten wird nur eine vertagte Beratung" in msg for msg in messages_of(response))


# Every role, GET and POST: the county's editor writes; the committee member reads the non-public paper, may not
# write; whoever may not read gets 404 (anonymous users: the login page).
ROLE_ANSWERS = {"anonymous": 302, "outsider": 404, "reader": 403, "editor": 200, "ministry": 404,
                "committee": 403, "admin": 403}


@pytest.mark.parametrize("role, expected", ROLE_ANSWERS.items())
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_lets_only_the_authoring_partys_editors_add_a_follow_up(vw, login, role, expected, method):
    vorlage, board = postponed_paper(vw)
    before = stored(vorlage)
    client = login(getattr(vw.users, role))
    url = follow_up_url(vorlage, board)
    response = client.get(url) if method == "get" else client.post(url, {"meeting_date": "bad"})
    assert response.status_code == expected
    if role == "anonymous":
        assert response.url.startswith(reverse("login"))
    assert stored(vorlage) == before


def test_it_shows_the_follow_up_link_by_the_rule_that_allows_it(vw, login):
    vorlage, board = postponed_paper(vw)
    detail = reverse("vorlage_detail", args=[vorlage.pk])
    link = follow_up_url(vorlage, board)
    social = follow_up_url(vorlage, vorlage.consultations.get(order=1))
    html = login(vw.users.editor).get(detail).content.decode()
    assert link in html and social not in html and "Erneute Beratung eintragen" in html
    for role in ("reader", "committee", "admin"):
        assert link not in login(getattr(vw.users, role)).get(detail).content.decode()
    svc.add_follow_up(user=vw.users.editor, consultation=board,
                      data={"meeting_date": soon() + datetime.timedelta(days=7)})
    assert "Erneute Beratung eintragen" not in login(vw.users.editor).get(detail).content.decode()
    # A withdrawn paper offers it no more, the last consultation postponed or not.
    other, other_board = postponed_paper(vw)
    m.Vorlage.objects.filter(pk=other.pk).update(status=S.WITHDRAWN)
    assert follow_up_url(other, other_board) not in login(vw.users.editor).get(
        reverse("vorlage_detail", args=[other.pk])).content.decode()


def postponed_row(vorlage, vw, i, committee=None):
    """One more postponed consultation (past the guard), as follow-ups postponed again leave."""
    m.Consultation.objects.bulk_create([m.Consultation(
        paper_id=vorlage.pk, committee=committee or vw.second_committee, order=i + 10, role="entscheidung",
        authoritative=True, meeting_date=soon() + datetime.timedelta(days=i), result=R.POSTPONED)])


def test_it_needs_the_same_number_of_queries_for_few_and_many_meetings(vw, login):
    vorlage, board = postponed_paper(vw)
    client = login(vw.users.editor)
    url = follow_up_url(vorlage, board)
    client.get(url)  # warm-up: the session and the user

    def grow(total):
        """More consultations (the Sozialausschuss's, postponed) and meetings of the Kreisausschuss."""
        for i in range(m.Consultation.objects.filter(paper_id=vorlage.pk).count(), total):
            postponed_row(vorlage, vw, i - 10, committee=vw.committee)
            later_meeting(vw, days=i + 1)

    assert_fixed_queries(client, url, grow, most=12, few=2, many=20)


def test_it_asks_the_same_queries_of_the_detail_page_with_follow_ups(vw, login):
    """The link per row is decided from the prefetched Beratungsfolge: no query per consultation."""
    vorlage, _board = postponed_paper(vw)
    client = login(vw.users.editor)
    detail = reverse("vorlage_detail", args=[vorlage.pk])
    client.get(detail)

    def grow(total):
        for i in range(vorlage.consultations.count(), total):
            postponed_row(vorlage, vw, i)

    assert_fixed_queries(client, detail, grow, most=14, few=3, many=20)


# --- The result page's refusal --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, reason", [
    (S.DRAFT, "Die Vorlage ist noch ein Entwurf: Ergebnisse der Beratung werden erst nach der Freigabe erfasst."),
    (S.DONE, "Die Vorlage ist erledigt: Ihre Beratung ist abgeschlossen, Ergebnisse werden nicht mehr erfasst oder "
             "geändert."),
    (S.WITHDRAWN, "Die Vorlage ist zurückgezogen: Ihre Beratung ist beendet, Ergebnisse werden nicht mehr erfasst "
                  "oder geändert."),
])
def test_it_says_why_results_are_not_recorded_in_each_status(vw, login, status, reason):
    vorlage = make_vorlage(vw, status=status)
    consultation = vorlage.consultations.get()
    url = reverse("vorlage_consultation_result", args=[vorlage.pk, consultation.pk])
    client = login(vw.users.editor)
    for response in (client.get(url), client.post(url, {"result": R.DECIDED})):
        assert response.status_code == 302 and response.url == reverse("vorlage_detail", args=[vorlage.pk])
        assert set(messages_of(response)) == {reason}
    assert m.Consultation.objects.get(pk=consultation.pk).result == ""
    with pytest.raises(DomainError) as refused:
        svc.record_result(user=vw.users.editor, consultation=consultation, result=R.DECIDED)
    assert str(refused.value.message) == reason
