"""What the admin does not delete, and why it says so: held meetings and the meetings and agenda items of released
papers, users who have acted, committees and departments in use. And the meeting form's dates and the messages of
the database's rules (CheckConstraint) in the admin's forms."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from django.utils import timezone

from agreements.models import AgendaItem, Committee, Consultation, Department, Meeting, Vorlage

from .factories import admin_case, admin_url

User = get_user_model()


@pytest.fixture
def demo(db, settings, tmp_path, admin_user):
    settings.MEDIA_ROOT = tmp_path
    return admin_case(admin_user)


def _meeting(demo):
    # The case's meeting: Sozialausschuss, 08.05.2012, with TOP 5 for Vorlage 50/015/2012.
    return Meeting.objects.get(agenda_items__consultation__paper=demo["vorlage"])


def _release(vorlage):
    Vorlage.objects.filter(pk=vorlage.pk).update(status=Vorlage.Status.DONE)


def _bulk_delete(client, model, pks):
    return client.post(admin_url(model, "changelist"), {
        "action": "delete_selected", "_selected_action": [str(pk) for pk in pks], "post": "yes",
    })


def _new_meeting(demo, **fields):
    committee = Committee.objects.get(name="Sozialausschuss")
    return Meeting.objects.create(
        committee=committee, start=timezone.make_aware(datetime.datetime(2012, 9, 3, 17)), **fields)


# --- Meetings ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["held", "released paper"])
def test_it_keeps_a_held_meeting_and_one_with_a_released_paper(admin_client, demo, case):
    meeting = _meeting(demo)
    if case == "held":
        Meeting.objects.filter(pk=meeting.pk).update(state=Meeting.State.HELD)
        expected = "durchgeführt"
    else:
        _release(demo["vorlage"])
        expected = "50/015/2012"
    change = admin_client.get(admin_url(Meeting, "change", meeting.pk))
    assert 'class="deletelink"' not in change.content.decode()
    assert not admin.site._registry[Meeting].has_delete_permission(change.wsgi_request, meeting)

    response = admin_client.get(admin_url(Meeting, "delete", meeting.pk), follow=True)
    assert response.redirect_chain == [(admin_url(Meeting, "change", meeting.pk), 302)]
    content = response.content.decode()
    assert expected in content and "nicht gelöscht" in content
    if case == "released paper":
        assert "„abgesagt“" in content  # what to do instead

    admin_client.post(admin_url(Meeting, "delete", meeting.pk), {"post": "yes"})
    response = _bulk_delete(admin_client, Meeting, [meeting.pk])
    content = response.content.decode()
    assert response.status_code == 200 and expected in content and "nicht gelöscht" in content
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    assert AgendaItem.objects.filter(meeting=meeting, number="5").exists()
    assert Consultation.objects.get(paper=demo["vorlage"]).meeting_id == meeting.pk


def test_it_keeps_the_meetings_of_a_committee_page(admin_client, demo):
    meeting = _meeting(demo)
    Meeting.objects.filter(pk=meeting.pk).update(state=Meeting.State.HELD)
    committee = meeting.committee
    data = {"party": committee.party_id, "name": committee.name, "short_name": "", "kind": committee.kind,
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            "meetings-TOTAL_FORMS": "1", "meetings-INITIAL_FORMS": "1",
            "meetings-0-id": meeting.pk, "meetings-0-committee": committee.pk, "meetings-0-name": "",
            "meetings-0-start_0": "2012-05-08", "meetings-0-start_1": "17:00", "meetings-0-location": "Mettmann",
            "meetings-0-state": "durchgefuehrt", "meetings-0-DELETE": "on"}
    response = admin_client.post(admin_url(Committee, "change", committee.pk), data)
    assert response.status_code == 200
    assert "bleibt mit ihrer Tagesordnung als Beleg erhalten" in response.content.decode()
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_it_keeps_the_agenda_items_of_a_held_meeting_and_of_released_papers(admin_client, demo):
    item = AgendaItem.objects.get(number="5")
    _release(demo["vorlage"])
    response = admin_client.get(admin_url(AgendaItem, "delete", item.pk), follow=True)
    assert response.redirect_chain == [(admin_url(AgendaItem, "change", item.pk), 302)]
    assert "50/015/2012" in response.content.decode()
    response = _bulk_delete(admin_client, AgendaItem, [item.pk])
    assert response.status_code == 200 and "50/015/2012" in response.content.decode()

    meeting = item.meeting
    data = {"committee": meeting.committee_id, "name": "", "start_0": "2012-05-08", "start_1": "17:00",
            "location": "Mettmann", "state": "geplant",
            "agenda_items-TOTAL_FORMS": "1", "agenda_items-INITIAL_FORMS": "1",
            "agenda_items-0-id": item.pk, "agenda_items-0-meeting": meeting.pk, "agenda_items-0-order": "0",
            "agenda_items-0-number": "5", "agenda_items-0-name": item.name, "agenda_items-0-public": "on",
            "agenda_items-0-consultation": item.consultation_id, "agenda_items-0-result": "",
            "agenda_items-0-DELETE": "on"}
    response = admin_client.post(admin_url(Meeting, "change", meeting.pk), data)
    assert response.status_code == 200
    assert "berät die freigegebene Vorlage 50/015/2012" in response.content.decode()
    assert AgendaItem.objects.filter(pk=item.pk).exists()

    held = _new_meeting(demo, state=Meeting.State.HELD)
    other = AgendaItem.objects.create(meeting=held, number="1", name="Mitteilungen")
    response = admin_client.post(admin_url(AgendaItem, "delete", other.pk), {"post": "yes"})
    assert AgendaItem.objects.filter(pk=other.pk).exists()


def test_it_still_deletes_a_planned_meeting_and_names_its_agenda_items_first(admin_client, demo):
    planned = _new_meeting(demo)
    AgendaItem.objects.create(meeting=planned, number="1", name="Mitteilungen")
    response = admin_client.get(admin_url(Meeting, "delete", planned.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "geschützten verwandten Objekte" in content and "TOP 1 Mitteilungen" in content
    with pytest.raises(ProtectedError):  # the rule holds past the admin too
        Meeting.objects.filter(pk=planned.pk).delete()

    AgendaItem.objects.filter(meeting=planned).delete()
    response = admin_client.post(admin_url(Meeting, "delete", planned.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=planned.pk).exists()


# --- Users ------------------------------------------------------------------------------------------------------


def test_it_keeps_a_user_who_has_acted_and_offers_deactivation(admin_client, demo):
    editor = demo["editor"]  # accepted a Fassung (Acceptance.accepted_by)
    change = admin_client.get(admin_url(User, "change", editor.pk))
    content = change.content.decode()
    assert 'class="deletelink"' not in content
    assert "deaktivieren" in content  # the help text of "Aktiv"

    response = admin_client.get(admin_url(User, "delete", editor.pk), follow=True)
    assert response.redirect_chain == [(admin_url(User, "change", editor.pk), 302)]
    assert "deaktivieren" in response.content.decode()
    admin_client.post(admin_url(User, "delete", editor.pk), {"post": "yes"})
    response = _bulk_delete(admin_client, User, [editor.pk])
    assert response.status_code == 200 and "deaktivieren" in response.content.decode()
    assert User.objects.filter(pk=editor.pk).exists()


def test_it_deletes_a_user_who_has_not_acted(admin_client, demo):
    new = User.objects.create_user("neu", "neu@example.org", "pw-neu-123")
    response = admin_client.get(admin_url(User, "delete", new.pk))
    assert response.status_code == 200
    response = admin_client.post(admin_url(User, "delete", new.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=new.pk).exists()


def test_it_tells_every_user_who_has_acted_in_one_query(demo, django_assert_num_queries):
    from agreements.admin.users import users_with_recorded_actions

    new = User.objects.create_user("neu", "neu@example.org", "pw-neu-123")
    ids = list(User.objects.values_list("pk", flat=True))
    with django_assert_num_queries(1):
        acted = users_with_recorded_actions(ids)
    assert demo["editor"].pk in acted and new.pk not in acted


# --- Committees and departments in use --------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Committee, Department], ids=lambda m: m.__name__)
def test_it_says_that_a_committee_or_department_is_in_use(admin_client, demo, model):
    _release(demo["vorlage"])
    obj = model.objects.get(name="Sozialausschuss" if model is Committee else "Sozialamt")
    for response in [admin_client.get(admin_url(model, "delete", obj.pk)),
                     _bulk_delete(admin_client, model, [obj.pk])]:
        assert response.status_code == 200
        content = response.content.decode()
        assert "geschützten verwandten Objekte" in content
        assert "permission" not in content and "Rechte" not in content
    admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()


# --- The meeting form -------------------------------------------------------------------------------------------


def _meeting_post(meeting, **overrides):
    data = {"committee": meeting.committee_id, "name": "", "start_0": "2012-05-08", "start_1": "17:00",
            "end_0": "", "end_1": "", "location": "Mettmann", "state": "geplant",
            "agenda_items-TOTAL_FORMS": "0", "agenda_items-INITIAL_FORMS": "0"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("field", ["start", "end"])
def test_it_refuses_meeting_dates_the_app_refuses(admin_client, demo, field):
    meeting = _meeting(demo)
    response = admin_client.post(admin_url(Meeting, "change", meeting.pk),
                                 _meeting_post(meeting, **{f"{field}_0": "3000-01-01", f"{field}_1": "17:00"}))
    assert response.status_code == 200
    assert "zwischen 2005 und 2100" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.start.year == 2012 and meeting.end is None


def test_it_says_in_words_that_a_meeting_ends_before_it_starts(admin_client, demo):
    meeting = _meeting(demo)
    response = admin_client.post(admin_url(Meeting, "change", meeting.pk),
                                 _meeting_post(meeting, end_0="2012-05-08", end_1="16:00"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Das Ende liegt vor dem Beginn." in content and "meeting_end_after_start" not in content


def test_every_check_constraint_an_admin_form_can_break_has_a_message():
    from django.apps import apps
    from django.db import models

    technical = [
        f"{model._meta.label}.{constraint.name}"
        for app in ("agreements", "notifications") for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
        if (isinstance(constraint, models.CheckConstraint) or getattr(constraint, "condition", None) is not None)
        and constraint.violation_error_message == constraint.default_violation_error_message
        and model in admin.site._registry
    ]
    # Not in any admin form (derived by the application: file digests, version numbers, deadlines, copies), or, the
    # one active time-stamp service, said by the admin's form before the database is asked.
    assert sorted(technical) == [
        "agreements.AgreementVersion.agreement_version_number_positive",
        "agreements.CachedPdf.cachedpdf_sha256_hex",
        "agreements.CopiedPassage.copied_passage_item_matches_kind",
        "agreements.Deadline.deadline_closed_when_not_open",
        "agreements.Deadline.deadline_other_has_title",
        "agreements.Document.document_sha256_hex",
        "agreements.TimestampAuthority.timestampauthority_one_active",
    ]
