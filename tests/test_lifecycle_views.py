"""The lifecycle pages: abstimmen, unterzeichnen, ablehnen, zurückziehen, Umsetzung, Abschluss, Nachtrag, Ableiten,
the reviews tab and its form. Permissions per role, refusals in the wrong state, bad input, the whole walk in the
browser from the first signature to the successor's reviews tab, and query counts.

The transitions themselves (which state may go where) are tested on the services in test_lifecycle.py.
"""

import datetime
import hashlib
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agreements import models as m
from agreements.services import goals as goal_svc
from agreements.services import versions as version_svc

from .builders_confirm import confirmed, is_confirmation
from .builders_lifecycle import review_data
from .builders_writes import GOAL
from .factories import make_user

S = m.Agreement.Status
pytestmark = pytest.mark.django_db

SIGN_DATA = {"signatory_name": "Thomas Hendele", "signatory_function": "Landrat", "date": "2013-04-02",
             "place": "Mettmann"}
REASON = {"reason": "Die Ziele sind noch nicht abgestimmt."}

# url name → (status in which the action is open, POST data, status in which it is not, POST only). Accepting,
# signing and refusing ask first (tests/test_confirm.py): their data here is that of the confirming POST.
ACTIONS = {
    "agreement_agree": (S.NEGOTIATION, confirmed({"note": ""}), S.SIGNED, False),
    "agreement_reopen": (S.AGREED, REASON, S.NEGOTIATION, False),
    "agreement_sign": (S.AGREED, confirmed(SIGN_DATA), S.NEGOTIATION, False),
    "agreement_refuse": (S.AGREED, confirmed(REASON), S.NEGOTIATION, False),
    "agreement_withdraw": (S.NEGOTIATION, REASON, S.SIGNED, False),
    "agreement_start": (S.SIGNED, {}, S.NEGOTIATION, True),
    "agreement_close": (S.EVALUATED, {}, S.SIGNED, True),
    "agreement_amend": (S.SIGNED, {}, S.NEGOTIATION, True),
    "agreement_derive:next_year": (S.NEGOTIATION, {}, None, True),
    "agreement_derive:jobcenter": (S.NEGOTIATION, {}, None, True),
    "review_add": (S.SIGNED, None, S.NEGOTIATION, False),  # data needs the goal's id: review_data()
}
PAGES = [*ACTIONS, "agreement_reviews"]
WRITERS = ("editor", "ministry")


def url(world, name, agreement=None):
    pk = (agreement or world.agreement).pk
    if ":" in name:
        name, kind = name.split(":")
        return reverse(name, args=[pk, kind])
    return reverse(name, args=[pk])


def set_status(world, status):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    world.agreement.refresh_from_db()


def receive_fassung(world, role):
    """The role's party receives a Fassung it may accept: the other party sent it, and nobody changed the text
    since. The county, "am Zug" in the world, sends Fassung 2 to the ministry; for the county to accept one, the
    ministry changes the text and sends it back as Fassung 3. Returns the Fassung."""
    sent = version_svc.send_draft(user=world.users.editor, agreement=world.agreement)
    if role == "editor":
        goal = m.Goal.objects.get(pk=world.goal.pk)
        goal_svc.save_goal(user=world.users.ministry, agreement=world.agreement, goal=goal,
                           data={**GOAL, "title": "Senkung der Kosten der Unterkunft"}, lock_version=goal.lock_version)
        sent = version_svc.send_draft(user=world.users.ministry, agreement=world.agreement)
    world.agreement.refresh_from_db()
    return sent


def open_action(world, name, role):
    """The world in the state in which the role may take the action `name`."""
    set_status(world, ACTIONS[name][0])
    if name == "agreement_agree":
        receive_fassung(world, role)


def post_data(world, name):
    data = ACTIONS[name][1]
    return review_data(world) if data is None else data


def state(world):
    """Everything a lifecycle page could change."""
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    return {
        "status": agreement.status, "status_reason": agreement.status_reason,
        "signatures": m.Signature.objects.count(), "agreements": m.Agreement.objects.count(),
        "reviews": m.Review.objects.count(), "assessments": m.Assessment.objects.count(),
        "versions": m.AgreementVersion.objects.count(), "documents": m.Document.objects.count(),
        "steps": m.ProcedureStep.objects.count(),
    }


def messages_of(response):
    return [str(msg) for msg in get_messages(response.wsgi_request)]


def request(client, method, target, data=None):
    return client.post(target, data or {}) if method == "post" else client.get(target)


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Permissions ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_users_to_the_login(world, login, name, method):
    set_status(world, ACTIONS.get(name, (S.SIGNED,))[0])
    before = state(world)
    assert_login_redirect(request(login(None), method, url(world, name), ACTIONS.get(name, (0, {}))[1]))
    assert state(world) == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["outsider", "committee"])
def test_it_does_not_reveal_the_agreement_to_outsiders(world, login, role, name, method):
    set_status(world, ACTIONS.get(name, (S.SIGNED,))[0])
    before = state(world)
    data = post_data(world, name) if name in ACTIONS else {}
    assert request(login(getattr(world.users, role)), method, url(world, name), data).status_code == 404
    assert state(world) == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("role", ["reader", "admin"])
def test_it_refuses_every_action_to_readers_and_admins(world, login, role, name, method):
    set_status(world, ACTIONS[name][0])
    before = state(world)
    response = request(login(getattr(world.users, role)), method, url(world, name), post_data(world, name))
    assert response.status_code == 403
    assert state(world) == before


@pytest.mark.parametrize("role", ["reader", "admin", "editor", "ministry"])
def test_it_shows_the_reviews_tab_to_everybody_who_may_read(world, login, role):
    set_status(world, S.SIGNED)
    client = login(getattr(world.users, role))
    response = client.get(url(world, "agreement_reviews"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Noch keine Zielnachhaltung erfasst." in content
    # Only writers see the button; the page itself never decides that (available_actions does).
    assert (reverse("review_add", args=[world.agreement.pk]) in content) == (role in WRITERS)
    # The tab is a page to read: a POST is not an action.
    before = state(world)
    assert client.post(url(world, "agreement_reviews"), {}).status_code == 405
    assert state(world) == before


@pytest.mark.parametrize("name", [n for n, spec in ACTIONS.items() if spec[3]])
@pytest.mark.parametrize("role", WRITERS)
def test_it_answers_get_on_post_only_actions_with_405(world, login, role, name):
    set_status(world, ACTIONS[name][0])
    before = state(world)
    response = login(getattr(world.users, role)).get(url(world, name))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert state(world) == before


@pytest.mark.parametrize("name", [n for n, spec in ACTIONS.items() if not spec[3]])
@pytest.mark.parametrize("role", WRITERS)
def test_it_shows_the_form_of_an_open_action(world, login, role, name):
    open_action(world, name, role)
    response = login(getattr(world.users, role)).get(url(world, name))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<form" in content and 'name="csrfmiddlewaretoken"' in content
    if name == "review_add":
        assert f'name="goal-{world.goal.pk}-status"' in content
    if name == "agreement_agree":
        # The Fassung the role's party received: 2 from the county for the ministry, 3 from the ministry for the
        # county. The page is the acceptance's confirmation step: it says who accepts which Fassung.
        number, author = (2, world.county) if role == "ministry" else (3, world.ministry)
        party = world.ministry if role == "ministry" else world.county
        assert is_confirmation(response)
        assert response.context["confirmation"].title == f"Fassung {number} annehmen"
        assert f"{party.name} nimmt Fassung {number} an, die {author.name} am" in content
        assert "Fassung verbindlich annehmen</button>" in content


def effect(world, name, before, after, role):
    """What the successful POST must have changed, and nothing else of the original."""
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    expected_status = {
        "agreement_agree": S.AGREED, "agreement_reopen": S.NEGOTIATION, "agreement_sign": S.AGREED,
        "agreement_refuse": S.NOT_SIGNED, "agreement_withdraw": S.WITHDRAWN, "agreement_start": S.IN_EFFECT,
        "agreement_close": S.CLOSED, "agreement_amend": S.SIGNED, "agreement_derive:next_year": S.NEGOTIATION,
        "agreement_derive:jobcenter": S.NEGOTIATION, "review_add": S.IN_EFFECT,
    }[name]
    assert agreement.status == expected_status
    if name == "agreement_sign":
        assert after["signatures"] == before["signatures"] + 1
        party = world.county if role == "editor" else world.ministry
        assert m.Signature.objects.get(agreement=agreement).party == party
    if name in ("agreement_refuse", "agreement_withdraw"):
        assert agreement.status_reason == REASON["reason"]
    if name == "agreement_agree":
        # The role's party accepted the Fassung it received; that Fassung's text is the Endfassung.
        accepted, final = agreement.versions.order_by("-number")[1], agreement.versions.order_by("-number")[0]
        party = world.county if role == "editor" else world.ministry
        assert list(accepted.acceptances.values_list("party", "accepted_by")) == [
            (party.pk, getattr(world.users, role).pk)]
        assert after["versions"] == before["versions"] + 1
        assert final.kind == m.AgreementVersion.Kind.FINAL and final.snapshot == accepted.snapshot
    if name.startswith("agreement_derive") or name == "agreement_amend":
        assert after["agreements"] == before["agreements"] + 1
        new = m.Agreement.objects.order_by("-pk").first()
        return new
    if name == "review_add":
        assert after["reviews"] == before["reviews"] + 1 and after["assessments"] == before["assessments"] + 1
    return None


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("role", WRITERS)
def test_it_performs_an_open_action_for_editors_of_both_parties(world, login, role, name):
    open_action(world, name, role)
    before = state(world)
    response = login(getattr(world.users, role)).post(url(world, name), post_data(world, name))
    assert response.status_code == 302, response.context and response.context["form"].errors
    if name == "agreement_derive:jobcenter" and role == "ministry":
        # Only the county derives the agreement with its own Jobcenter; the page says so and nothing is made.
        assert response["Location"] == reverse("agreement_detail", args=[world.agreement.pk])
        assert any("kommunale Träger" in msg for msg in messages_of(response))
        assert state(world) == before
        return
    new = effect(world, name, before, state(world), role)
    if new is not None:
        assert response["Location"] == reverse("agreement_detail", args=[new.pk])
    elif name == "review_add":
        assert response["Location"] == reverse("agreement_reviews", args=[world.agreement.pk])
    else:
        assert response["Location"] == reverse("agreement_detail", args=[world.agreement.pk])
    assert messages_of(response), "a success message"
    if name == "agreement_agree":
        number = 2 if role == "ministry" else 3
        assert messages_of(response) == [f"Der Text ist abgestimmt: Fassung {number} ist unverändert als Endfassung "
                                         f"(Fassung {number + 1}) festgehalten."]
        assert world.agreement.versions.get(kind=m.AgreementVersion.Kind.FINAL).number == number + 1


# In the world the ministry sent Fassung 1, and the county changed the text since without sending it.
NOT_ACCEPTABLE = {
    "ministry": "Fassung 1 hat Ihre Stelle selbst übersandt: annehmen kann sie nur, wer sie erhalten hat.",
    "editor": "Der Arbeitsstand weicht von Fassung 1 ab: Änderungen, die nicht übersandt sind, verhindern die "
              "Annahme. Übersenden Sie sie als neue Fassung.",
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", WRITERS)
def test_it_sends_back_who_may_not_accept_the_fassung_now(world, login, role, method):
    client = login(getattr(world.users, role))
    detail = reverse("agreement_detail", args=[world.agreement.pk])
    assert url(world, "agreement_agree") not in client.get(detail).content.decode()
    before = state(world)
    response = request(client, method, url(world, "agreement_agree"), {"note": ""})
    assert response.status_code == 302 and response["Location"] == detail
    assert messages_of(response) == [NOT_ACCEPTABLE[role]]
    assert state(world) == before
    assert not m.Acceptance.objects.exists()


# (action, method) for actions that some state does not allow; a POST-only action's GET is 405 in any state.
NOT_NOW = [(name, method) for name, spec in ACTIONS.items() if spec[2] is not None
           for method in (("post",) if spec[3] else ("get", "post"))]


@pytest.mark.parametrize("name, method", NOT_NOW)
@pytest.mark.parametrize("role", WRITERS)
def test_it_redirects_with_a_message_when_the_state_does_not_allow_the_action(world, login, role, name, method):
    set_status(world, ACTIONS[name][2])
    before = state(world)
    response = request(login(getattr(world.users, role)), method, url(world, name), post_data(world, name))
    assert response.status_code == 302
    target = "agreement_reviews" if name == "review_add" else "agreement_detail"
    assert response["Location"] == reverse(target, args=[world.agreement.pk])
    assert any("nicht möglich" in msg for msg in messages_of(response)), messages_of(response)
    assert state(world) == before


def test_it_names_the_reason_when_the_own_party_has_signed_already(world, login):
    set_status(world, S.AGREED)
    client = login(world.users.editor)
    response = client.post(url(world, "agreement_sign"), confirmed(SIGN_DATA))
    assert response.status_code == 302 and messages_of(response) == ["Die Unterschrift wurde erfasst."]
    before = state(world)
    for method, data in (("get", None), ("post", SIGN_DATA), ("post", confirmed(SIGN_DATA))):
        response = request(client, method, url(world, "agreement_sign"), data)
        assert response.status_code == 302
        assert "Ihre Stelle hat bereits unterzeichnet." in messages_of(response)
    # After the first signature the text can no longer be reopened or the agreement withdrawn.
    for name, text in [("agreement_reopen", "Abstimmung nicht mehr aufgehoben"),
                       ("agreement_withdraw", "nicht zurückgezogen")]:
        response = client.post(url(world, name), confirmed(REASON))
        assert response.status_code == 302
        assert any(text in msg for msg in messages_of(response))
    assert state(world) == before


# Bad input --------------------------------------------------------------------------------------------------------


def form_errors(response):
    assert response.status_code == 200
    form = response.context["form"]
    return {field: " ".join(str(e) for e in errors) for field, errors in form.errors.items()}


@pytest.mark.parametrize("data, field, text", [
    ({**SIGN_DATA, "place": ""}, "place", "erforderlich"),
    ({**SIGN_DATA, "place": "x" * 101}, "place", "höchstens 100"),
    ({**SIGN_DATA, "date": ""}, "date", "erforderlich"),
    ({**SIGN_DATA, "date": "2.4.2013x"}, "date", "gültiges Datum"),
    ({**SIGN_DATA, "signatory_name": "", "signatory_function": ""}, "__all__", "Person"),
], ids=["empty-place", "long-place", "empty-date", "bad-date", "nobody"])
def test_it_refuses_bad_signature_input(world, login, data, field, text):
    set_status(world, S.AGREED)
    before = state(world)
    errors = form_errors(login(world.users.editor).post(url(world, "agreement_sign"), data))
    assert text in errors[field]
    assert state(world) == before


def test_it_refuses_a_signature_dated_in_the_future(world, login):
    set_status(world, S.AGREED)
    before = state(world)
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    for data in ({**SIGN_DATA, "date": tomorrow}, confirmed({**SIGN_DATA, "date": tomorrow})):
        # Said by the form, before the confirmation step would ask.
        response = login(world.users.editor).post(url(world, "agreement_sign"), data)
        assert "Zukunft" in form_errors(response)["date"]
        assert response.content.decode().count("Das Datum der Unterschrift liegt in der Zukunft.") == 1
    assert state(world) == before


def test_it_refuses_a_signatory_of_another_party(world, login):
    set_status(world, S.AGREED)
    own = m.Person.objects.create(party=world.county, given_name="Thomas", family_name="Hendele",
                                  function="Landrat")
    foreign = m.Person.objects.create(party=world.ministry, given_name="Wilhelm", family_name="Schäffer",
                                      function="Staatssekretär")
    client = login(world.users.editor)
    content = client.get(url(world, "agreement_sign")).content.decode()
    assert "Hendele" in content and "Schäffer" not in content  # only the own party's people are offered
    before = state(world)
    response = client.post(url(world, "agreement_sign"), {**SIGN_DATA, "person": foreign.pk,
                                                          "signatory_name": "", "signatory_function": ""})
    assert "person" in form_errors(response)
    assert state(world) == before
    # The own party's person is accepted, and name and function come from the directory.
    response = client.post(url(world, "agreement_sign"), confirmed({**SIGN_DATA, "person": own.pk,
                                                                    "signatory_name": "", "signatory_function": ""}))
    assert response.status_code == 302
    signature = m.Signature.objects.get()
    assert (signature.person, signature.signatory_name, signature.signatory_function, signature.party) == (
        own, "Thomas Hendele", "Landrat", world.county)


@pytest.mark.parametrize("name", ["agreement_reopen", "agreement_refuse", "agreement_withdraw"])
@pytest.mark.parametrize("reason, text", [
    ("", "erforderlich"), ("   \n ", "erforderlich"), ("x" * 4001, "höchstens 4000"),
], ids=["empty", "blank", "too-long"])
def test_it_refuses_a_missing_or_too_long_reason(world, login, name, reason, text):
    set_status(world, ACTIONS[name][0])
    before = state(world)
    errors = form_errors(login(world.users.ministry).post(url(world, name), {"reason": reason}))
    assert text in errors["reason"]
    assert state(world) == before


@pytest.fixture
def quantitative_goal(world):
    return m.Goal.objects.create(agreement=world.agreement, order=2, kind="quantitativ", area="k2",
                                 title="Integrationsquote", indicator=world.indicator, target_value=Decimal("24.5"),
                                 unit="%", direction="steigerung")


def test_it_refuses_bad_review_input(world, login, quantitative_goal):
    set_status(world, S.SIGNED)
    client = login(world.users.editor)
    q, g = f"goal-{quantitative_goal.pk}", f"goal-{world.goal.pk}"
    cases = [
        ({f"{q}-status": "im_plan", f"{q}-actual_value": "zwölf"}, q, "actual_value", "Zahl"),
        ({f"{q}-status": "im_plan", f"{q}-actual_value": "1.5"}, q, "actual_value", "Komma"),
        ({f"{q}-status": "", f"{q}-comment": "Es läuft gut."}, q, "status", "bewerten"),
        ({f"{q}-status": "", f"{q}-actual_value": "24,1"}, q, "status", "bewerten"),
        ({f"{g}-status": "erreicht", f"{g}-actual_value": "5"}, g, "__all__", "qualitatives Ziel"),
        ({f"{q}-status": "gibt_es_nicht"}, q, "status", "gültige Auswahl"),
        ({f"{q}-status": "im_plan", f"{q}-report_month": "13/2013"}, q, "report_month", "gültiges Datum"),
    ]
    before = state(world)
    for extra, prefix, field, text in cases:
        data = review_data(world, **{f"{g}-status": "", f"{g}-comment": ""})
        data.update(extra)
        response = client.post(url(world, "review_add"), data)
        assert response.status_code == 200, extra
        goal_form = next(f for f in response.context["goal_forms"] if f.prefix == prefix)
        errors = " ".join(str(e) for e in goal_form.errors.get(field, []))
        assert text in errors, (extra, goal_form.errors)
        assert state(world) == before
    # The review itself: kind and date are required.
    response = client.post(url(world, "review_add"), review_data(world, kind="", date=""))
    assert set(form_errors(response)) >= {"kind", "date"}
    # A year-end evaluation must assess every goal: the service says so, once, and nothing is stored.
    response = client.post(url(world, "review_add"), review_data(world, kind="jahresabschluss"))
    assert "jedes Ziel" in form_errors(response)["__all__"]
    assert response.content.decode().count("Die Jahresauswertung muss jedes Ziel bewerten.") == 1
    assert state(world) == before


def test_it_takes_german_numbers_and_months_in_the_review_form(world, login, quantitative_goal):
    set_status(world, S.SIGNED)
    q = f"goal-{quantitative_goal.pk}"
    data = review_data(world, **{f"{q}-status": "gefaehrdet", f"{q}-actual_value": "23,75",
                                 f"{q}-report_month": "2013-06"})
    response = login(world.users.editor).post(url(world, "review_add"), data)
    assert response.status_code == 302
    assessment = m.Assessment.objects.get(goal=quantitative_goal)
    assert assessment.actual_value == Decimal("23.75")
    assert assessment.report_month == datetime.date(2013, 6, 1)


def test_it_reads_german_thousands_in_the_istwert(world, login, quantitative_goal):
    """"1.500" is fifteen hundred to a German reader, as in the goal form; Django alone would store 1.5."""
    set_status(world, S.SIGNED)
    q = f"goal-{quantitative_goal.pk}"
    data = review_data(world, **{f"{q}-status": "im_plan", f"{q}-actual_value": "1.500"})
    assert login(world.users.editor).post(url(world, "review_add"), data).status_code == 302
    assert m.Assessment.objects.get(goal=quantitative_goal).actual_value == Decimal("1500")


def test_it_knows_no_other_kind_of_derived_agreement(world, login):
    with pytest.raises(NoReverseMatch):
        reverse("agreement_derive", args=[world.agreement.pk, "foo"])
    before = state(world)
    client = login(world.users.editor)
    target = reverse("agreement_detail", args=[world.agreement.pk]) + "ableiten/foo/"
    assert client.post(target).status_code == 404
    assert client.get(target).status_code == 404
    assert state(world) == before


# The whole walk ---------------------------------------------------------------------------------------------------


def download_bytes(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def browser(user):
    # Its own client per person: the `login` fixture reuses one client and would switch the user under us.
    client = Client()
    client.force_login(user)
    return client


def test_it_walks_from_agreeing_to_the_successors_reviews_in_the_browser(world, quantitative_goal):
    pk = world.agreement.pk
    detail = reverse("agreement_detail", args=[pk])
    editor = browser(world.users.editor)
    ministry = browser(world.users.ministry)

    # The county, "am Zug", sends its working text as Fassung 2: the pen passes to the ministry. Nobody can accept
    # Fassung 1 (the county changed the text since), and the county cannot accept its own Fassung 2.
    assert url(world, "agreement_agree") not in editor.get(detail).content.decode()
    response = editor.post(reverse("draft_send", args=[pk]), confirmed({"note": "Unser Stand nach dem Gespräch"}))
    assert response.status_code == 302
    assert url(world, "agreement_agree") not in editor.get(detail).content.decode()

    # The ministry accepts exactly Fassung 2: the text is agreed.
    assert "Fassung 2 annehmen" in ministry.get(detail).content.decode()
    page = ministry.get(url(world, "agreement_agree"))
    assert page.status_code == 200 and "Fassung verbindlich annehmen" in page.content.decode()
    assert ministry.post(url(world, "agreement_agree"),
                         confirmed({"note": "Endfassung nach dem Gespräch"})).status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.AGREED
    final = world.agreement.versions.get(kind=m.AgreementVersion.Kind.FINAL)
    assert final.snapshot == world.agreement.versions.get(number=2).snapshot
    assert f"{world.ministry.name} hat Fassung 2 am" in editor.get(detail).content.decode()

    # The county signs: partly signed is visible.
    assert editor.get(url(world, "agreement_sign")).status_code == 200
    today = timezone.localdate().isoformat()  # the text was agreed today: nobody signs it earlier
    assert editor.post(url(world, "agreement_sign"), confirmed({**SIGN_DATA, "date": today})).status_code == 302
    content = editor.get(detail).content.decode()
    assert "1 von 2 Unterschriften" in content
    assert "Unterschrift fehlt" in content

    # The ministry signs: the PDF is rendered once and stored with its SHA-256.
    response = ministry.post(url(world, "agreement_sign"), confirmed({
        "signatory_name": "Dr. Wilhelm Schäffer", "signatory_function": "Staatssekretär", "date": today,
        "place": "Düsseldorf"}))
    assert response.status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.SIGNED
    document = world.agreement.signed_file
    content = ministry.get(detail).content.decode()
    assert "2 von 2 Unterschriften" in content
    assert "Unterschrift fehlt" not in content
    shown = re.search(r"SHA-256: <code[^>]*>([0-9a-f]{64})</code>", content).group(1)
    assert shown == document.sha256
    try:
        download = reverse("document_download", args=[document.pk])
    except NoReverseMatch:
        pytest.skip("document_download (the documents area) does not exist yet")
    assert f'href="{download}"' in content

    # The download hands out exactly the stored, certified bytes …
    response = ministry.get(download)
    assert response.status_code == 200
    body = download_bytes(response)
    assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == shown
    # … and refuses once the file on disk no longer matches.
    path = document.file.path
    with open(path, "ab") as fh:
        fh.write(b"\n% manipuliert")
    response = ministry.get(download)
    assert response.status_code != 200
    assert b"%PDF" not in download_bytes(response)
    with open(path, "wb") as fh:  # restored: the rest of the walk needs an intact record
        fh.write(body)

    # Derive next year's agreement and the Jobcenter agreement.
    response = editor.post(url(world, "agreement_derive:next_year"))
    successor = m.Agreement.objects.get(predecessor=world.agreement)
    assert response["Location"] == reverse("agreement_detail", args=[successor.pk])
    response = editor.post(url(world, "agreement_derive:jobcenter"))
    mirror = m.Agreement.objects.get(related=world.agreement)
    assert response["Location"] == reverse("agreement_detail", args=[mirror.pk])
    assert successor.year == 2014 and successor.status == S.DRAFT
    assert {ap.party for ap in mirror.agreement_parties.all()} == {world.county, world.jobcenter}
    content = editor.get(detail).content.decode()
    for linked in (successor, mirror):
        assert reverse("agreement_detail", args=[linked.pk]) in content and linked.title in content
    assert "Nachfolger" in content and "Verbundene Vereinbarungen" in content
    successor_page = editor.get(reverse("agreement_detail", args=[successor.pk])).content.decode()
    assert world.agreement.title in successor_page  # the predecessor, linked back

    # A review with assessments, entered in the form.
    g, q = f"goal-{world.goal.pk}", f"goal-{quantitative_goal.pk}"
    form_page = editor.get(url(world, "review_add")).content.decode()
    assert f'name="{q}-actual_value"' in form_page and f'name="{g}-actual_value"' not in form_page
    response = editor.post(url(world, "review_add"), {
        "kind": "unterjaehrig", "date": "2013-06-30", "participants": "Kreis Mettmann, MAIS NRW",
        "minutes": "Halbjahresgespräch", f"{g}-status": "im_plan", f"{g}-comment": "KdU sinken",
        f"{q}-status": "gefaehrdet", f"{q}-actual_value": "23,9", f"{q}-report_month": "2013-06",
    })
    assert response.status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.IN_EFFECT
    tab = editor.get(url(world, "agreement_reviews")).content.decode()
    assert "Halbjahresgespräch" in tab and "KdU sinken" in tab and "06/2013" in tab
    assert "<td>23,9\u00a0%</td>" in tab and "23,900" not in tab  # as the goal's values are shown

    # The year-end evaluation: the agreement is evaluated.
    response = editor.post(url(world, "review_add"), {
        "kind": "jahresabschluss", "date": "2014-01-31", f"{g}-status": "erreicht",
        f"{q}-status": "teilweise", f"{q}-actual_value": "24,2",
    })
    assert response.status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.EVALUATED
    assert m.Review.objects.filter(agreement=world.agreement).count() == 2

    # The successor's reviews tab reports how the predecessor's goals ended.
    tab = editor.get(url(world, "agreement_reviews", agreement=successor)).content.decode()
    assert "Senkung der KdU" in tab and "Dieses Ziel wurde erreicht." in tab
    assert "Dieses Ziel wurde teilweise erreicht." in tab
    assert "Dieses Ziel wurde im Plan" not in tab and "wurde gefährdet" not in tab  # only the latest counts


# Query counts ----------------------------------------------------------------------------------------------------


def grow(world, size):
    """`size` goals, signatures (one per party) and reviews (each assessing every goal), and a predecessor whose
    goals were assessed as well. Signatures are recorded before the agreement is marked signed: the model guard
    refuses them afterwards."""
    agreement = world.agreement
    predecessor = m.Agreement.objects.create(title="Zielvereinbarung 2012", year=2012, status=S.DRAFT)
    m.Agreement.objects.filter(pk=agreement.pk).update(status=S.AGREED, predecessor=predecessor)
    document = m.Document(title="ZV 2013", kind="zielvereinbarung", size=5, content_type="application/pdf",
                          sha256="0" * 64)
    document.file.save("zv.pdf", ContentFile(b"%PDF-"))
    goals = [world.goal, *(m.Goal.objects.create(agreement=agreement, order=i + 2, title=f"Ziel {i}",
                                                 kind="quantitativ", indicator=world.indicator, unit="%")
                           for i in range(size - 1))]
    old_goals = [m.Goal.objects.create(agreement=predecessor, order=i, title=f"Altes Ziel {i}", kind="qualitativ",
                                       direction="senkung") for i in range(size)]
    parties = [world.ministry, world.county] + [
        m.Party.objects.create(key=f"jc-{i}", name=f"Jobcenter {i}", kind=m.Party.Kind.JOBCENTER)
        for i in range(size - 2)]
    for order, party in enumerate(parties[2:], start=2):
        m.AgreementParty.objects.create(agreement=agreement, party=party, role="jobcenter", order=order)
    for party in parties:
        m.Signature.objects.create(agreement=agreement, party=party, signatory_name=f"Person {party.pk}",
                                   signatory_function="Leitung", date=datetime.date(2013, 4, 2), place="Mettmann")
    m.Agreement.objects.filter(pk=agreement.pk).update(status=S.IN_EFFECT, signed_file=document)
    m.Agreement.objects.filter(pk=predecessor.pk).update(status=S.CLOSED)
    old_review = m.Review.objects.create(agreement=predecessor, kind="jahresabschluss",
                                         date=datetime.date(2013, 1, 31))
    m.Assessment.objects.bulk_create(m.Assessment(review=old_review, goal=g, status="erreicht") for g in old_goals)
    for i in range(size):
        review = m.Review.objects.create(agreement=agreement, date=datetime.date(2013, 6, 1) + datetime.timedelta(i),
                                         participants="Kreis, MAIS", created_by=world.users.editor)
        m.Assessment.objects.bulk_create(
            m.Assessment(review=review, goal=g, status="im_plan", comment="läuft",
                         actual_value=None if g.kind == "qualitativ" else Decimal("1.5")) for g in goals)


def count_queries(client, target):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Upper bounds: a page that grows beyond this has started to query per row, or become needlessly chatty.
# The overview also asks for the last Fassung, its acceptances and the party "am Zug" (for the next step).
# agreement_detail: 17, and the navigation's "Am Zug" count (services.deadlines.waiting_counts, issue 14).
QUERY_LIMITS = {"agreement_detail": 18, "agreement_reviews": 13}


@pytest.mark.parametrize("name", QUERY_LIMITS)
def test_it_needs_the_same_number_of_queries_for_2_and_20_goals_signatures_and_reviews(world, login, name):
    counts = []
    for size in (2, 20):
        # Each size on its own agreement, to compare like with like.
        world.agreement = m.Agreement.objects.create(title=f"ZV {size}", year=2013, status=S.NEGOTIATION)
        m.AgreementParty.objects.create(agreement=world.agreement, party=world.ministry, role="land", order=0)
        m.AgreementParty.objects.create(agreement=world.agreement, party=world.county, role="kommunaler_traeger",
                                        order=1)
        world.goal = m.Goal.objects.create(agreement=world.agreement, order=1, title="Senkung der KdU",
                                           kind="qualitativ", direction="senkung")
        grow(world, size)
        client = login(make_user(f"editor{size}", world.county))
        content = client.get(url(world, name)).content.decode()
        if name == "agreement_detail":
            assert f"{size} von {size} Unterschriften" in content
        else:
            assert content.count("Dieses Ziel wurde erreicht.") == size
        counts.append(count_queries(client, url(world, name)))
    few, many = counts
    assert few == many, f"{name}: {few} queries with 2, {many} with 20"
    assert many <= QUERY_LIMITS[name], f"{name}: {many} queries"
