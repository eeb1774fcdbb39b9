"""Who sees and changes which Vorlage: the rules in agreements/policy/vorlage_access.py and every view's permissions.

Roles (tests/conftest.py): anonymous; outsider = editor of the neighbouring county; reader/editor of the county
that writes the Vorlagen; ministry = editor of the ministry (party to the agreement, not to the Vorlage);
committee = member of the county's Sozialausschuss only; admin = superuser (reads everything, writes nothing).
"""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from agreements import models as m
from agreements.policy import vorlage_access as va
from agreements.services import vorlagen as svc

from .builders_confirm import CONFIRMED
from .factories import ROLES
from .vorlage_builders import body, make_vorlage, stub_pdfs, today, vorlage_world

S = m.Vorlage.Status


@pytest.fixture
def scene(world, monkeypatch):
    stub_pdfs(monkeypatch)
    vw = vorlage_world(world)
    return SimpleNamespace(
        vw=vw, users=world.users,
        draft=make_vorlage(vw, name="Entwurf"),
        nonpublic=make_vorlage(vw, status=S.RELEASED, public=False, name="Nichtöffentlich"),
        public=make_vorlage(vw, status=S.IN_CONSULTATION, name="Öffentlich"),
        neighbour_draft=make_vorlage(vw, department=vw.other_department, name="Entwurf Nachbar"),
    )


def names(qs):
    return sorted(qs.values_list("name", flat=True))


# --- The rules ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, visible", [
    ("anonymous", ["Öffentlich"]),
    ("outsider", ["Entwurf Nachbar", "Öffentlich"]),
    ("reader", ["Entwurf", "Nichtöffentlich", "Öffentlich"]),
    ("editor", ["Entwurf", "Nichtöffentlich", "Öffentlich"]),
    ("ministry", ["Öffentlich"]),
    ("committee", ["Nichtöffentlich", "Öffentlich"]),
    ("admin", ["Entwurf", "Entwurf Nachbar", "Nichtöffentlich", "Öffentlich"]),
])
def test_it_lists_what_each_role_may_read(scene, role, visible):
    from django.contrib.auth.models import AnonymousUser

    user = getattr(scene.users, role) or AnonymousUser()
    assert names(va.visible_vorlagen(user)) == visible
    for vorlage in (scene.draft, scene.nonpublic, scene.public, scene.neighbour_draft):
        assert va.can_read_vorlage(user, vorlage) == (vorlage.name in visible)


def test_it_decides_writing_for_the_authoring_partys_editors_only(scene):
    users = scene.users
    assert va.can_edit_vorlage(users.editor, scene.draft)
    assert va.can_write_vorlage(users.editor, scene.public) and not va.can_edit_vorlage(users.editor, scene.public)
    for role in ("reader", "ministry", "committee", "admin", "outsider"):
        assert not va.can_write_vorlage(getattr(users, role), scene.draft)
    assert va.can_edit_vorlage(users.outsider, scene.neighbour_draft)


def test_it_finds_a_vorlage_by_pk_or_reference_with_404_and_403(scene):
    users = scene.users
    assert va.vorlage_for(users.reader, scene.draft.reference) == scene.draft
    assert va.vorlage_for(users.reader, str(scene.draft.pk)) == scene.draft
    with pytest.raises(PermissionDenied):
        va.vorlage_for(users.reader, scene.draft.pk, write=True)
    with pytest.raises(PermissionDenied):
        va.vorlage_for(users.committee, scene.nonpublic.pk, write=True)
    for role in ("outsider", "ministry", "committee"):
        with pytest.raises(Http404):
            va.vorlage_for(getattr(users, role), scene.draft.pk)
    with pytest.raises(Http404):
        va.vorlage_for(users.editor, "99/999/2099")
    with pytest.raises(Http404):
        va.section_for(users.editor, scene.public.pk, scene.draft.sections.get().pk)  # another Vorlage's part


def test_it_follows_the_committee_membership_in_time(scene):
    membership = m.CommitteeMembership.objects.get(user=scene.users.committee)
    membership.end_date = today() - datetime.timedelta(days=1)
    membership.save()
    assert names(va.visible_vorlagen(scene.users.committee)) == ["Öffentlich"]
    membership.end_date, membership.start_date = None, today() + datetime.timedelta(days=1)
    membership.save()
    scene.users.committee._zs_committee_ids = None
    assert names(va.visible_vorlagen(scene.users.committee)) == ["Öffentlich"]


def test_it_keeps_non_public_papers_of_other_committees_from_a_member(scene):
    vw = scene.vw
    make_vorlage(vw, status=S.RELEASED, public=False, committee=vw.second_committee, name="Kreisausschuss")
    assert "Kreisausschuss" not in names(va.visible_vorlagen(scene.users.committee))


# --- Every view, every role --------------------------------------------------------------------------------------

ALL = dict.fromkeys(ROLES, 200)
NOT_ALLOWED = dict.fromkeys(ROLES, 405)
LOGGED_IN = dict(ALL, anonymous=302)
READ_DRAFT = dict(anonymous=302, outsider=404, reader=200, editor=200, ministry=404, committee=404, admin=200)
READ_NONPUBLIC = dict(READ_DRAFT, committee=200)
WRITE_DRAFT = dict(anonymous=302, outsider=404, reader=403, editor=200, ministry=404, committee=404, admin=403)
ACTION_DRAFT = dict(WRITE_DRAFT, editor=302)
WRITE_RELEASED = dict(anonymous=302, outsider=404, reader=403, editor=200, ministry=404, committee=403, admin=403)
CREATE = dict(anonymous=302, outsider=200, reader=403, editor=200, ministry=403, committee=403, admin=403)


def post_of(expected):
    """The same view asked with POST: readers are refused the method (405) after the access check."""
    return {role: 405 if code == 200 else code for role, code in expected.items()}


def part(vorlage, related):
    return getattr(vorlage, related).get().pk


CASES = [
    # (id, method, url name, vorlage, url args after the Vorlage, POST data, expected)
    ("public list", "get", "vorlage_public_list", None, None, None, ALL),
    ("public list post", "post", "vorlage_public_list", None, None, {}, NOT_ALLOWED),
    ("list", "get", "vorlage_list", None, None, None, LOGGED_IN),
    ("list post", "post", "vorlage_list", None, None, {}, post_of(LOGGED_IN)),
    ("meetings", "get", "vorlage_meetings", None, None, None, LOGGED_IN),
    ("meetings post", "post", "vorlage_meetings", None, None, {}, post_of(LOGGED_IN)),
    ("past meetings", "get", "vorlage_past_meetings", None, None, None, LOGGED_IN),
    ("past meetings post", "post", "vorlage_past_meetings", None, None, {}, post_of(LOGGED_IN)),
    ("create", "get", "vorlage_create", None, None, None, CREATE),
    ("create post", "post", "vorlage_create", None, None, {"name": ""}, CREATE),
    ("create from agreement", "get", "vorlage_create_from_agreement", None, None, None, CREATE),
    ("create from agreement post", "post", "vorlage_create_from_agreement", None, None, {"date": "x"}, CREATE),
]
for label, attr, expected in [("draft", "draft", READ_DRAFT), ("non-public", "nonpublic", READ_NONPUBLIC),
                              ("public", "public", ALL)]:
    CASES += [
        (f"detail {label}", "get", "vorlage_detail", attr, (), None, expected),
        (f"detail {label} post", "post", "vorlage_detail", attr, (), {}, post_of(expected)),
        (f"pdf {label}", "get", "vorlage_pdf", attr, (), None, expected),
        (f"pdf {label} post", "post", "vorlage_pdf", attr, (), {}, post_of(expected)),
        (f"bundle {label}", "get", "vorlage_bundle", attr, (), None, expected),
        (f"bundle {label} post", "post", "vorlage_bundle", attr, (), {}, post_of(expected)),
        (f"anlage {label}", "get", "vorlage_anlage_download", attr, ("anlagen",), None, expected),
        (f"anlage {label} post", "post", "vorlage_anlage_download", attr, ("anlagen",), {}, post_of(expected)),
    ]
CASES += [
    ("edit", "get", "vorlage_edit", "draft", (), None, WRITE_DRAFT),
    ("edit post", "post", "vorlage_edit", "draft", (), {"name": ""}, WRITE_DRAFT),
    ("edit released", "get", "vorlage_edit", "nonpublic", (), None, dict(WRITE_RELEASED, editor=302)),
    ("section add", "get", "vorlage_section_add", "draft", (), None, WRITE_DRAFT),
    ("section add post", "post", "vorlage_section_add", "draft", (), {"heading": ""}, WRITE_DRAFT),
    ("section edit", "get", "vorlage_section_edit", "draft", ("sections",), None, WRITE_DRAFT),
    ("section edit post", "post", "vorlage_section_edit", "draft", ("sections",), {"heading": ""}, WRITE_DRAFT),
    ("section move", "post", "vorlage_section_move", "draft", ("sections", "up"), {}, ACTION_DRAFT),
    ("section delete", "post", "vorlage_section_delete", "draft", ("sections",), {}, ACTION_DRAFT),
    ("consultation add", "get", "vorlage_consultation_add", "draft", (), None, WRITE_DRAFT),
    ("consultation add post", "post", "vorlage_consultation_add", "draft", (), {"role": ""}, WRITE_DRAFT),
    ("consultation edit", "get", "vorlage_consultation_edit", "draft", ("consultations",), None, WRITE_DRAFT),
    ("consultation edit post", "post", "vorlage_consultation_edit", "draft", ("consultations",), {"role": ""},
     WRITE_DRAFT),
    ("consultation move", "post", "vorlage_consultation_move", "draft", ("consultations", "down"), {},
     ACTION_DRAFT),
    ("consultation delete", "post", "vorlage_consultation_delete", "draft", ("consultations",), {}, ACTION_DRAFT),
    ("result", "get", "vorlage_consultation_result", "nonpublic", ("consultations",), None, WRITE_RELEASED),
    ("result post", "post", "vorlage_consultation_result", "nonpublic", ("consultations",), {"result": "x"},
     WRITE_RELEASED),
    ("result of a draft", "get", "vorlage_consultation_result", "draft", ("consultations",), None, ACTION_DRAFT),
    ("anlage add", "get", "vorlage_anlage_add", "draft", (), None, WRITE_DRAFT),
    ("anlage add post", "post", "vorlage_anlage_add", "draft", (), {"title": "x"}, WRITE_DRAFT),
    ("anlage edit", "get", "vorlage_anlage_edit", "draft", ("anlagen",), None, WRITE_DRAFT),
    ("anlage edit post", "post", "vorlage_anlage_edit", "draft", ("anlagen",), {"title": ""}, WRITE_DRAFT),
    ("anlage move", "post", "vorlage_anlage_move", "draft", ("anlagen", "up"), {}, ACTION_DRAFT),
    ("anlage delete", "post", "vorlage_anlage_delete", "draft", ("anlagen",), {}, ACTION_DRAFT),
    # Releasing asks first: the button's POST gets the question (200), the confirming one releases.
    ("release", "post", "vorlage_release", "draft", (), {}, WRITE_DRAFT),
    ("release confirmed", "post", "vorlage_release", "draft", (), CONFIRMED, ACTION_DRAFT),
    ("start", "post", "vorlage_start", "nonpublic", (), {}, dict(WRITE_RELEASED, editor=302)),
    ("complete", "post", "vorlage_complete", "draft", (), {}, ACTION_DRAFT),
    ("withdraw", "get", "vorlage_withdraw", "draft", (), None, WRITE_DRAFT),
    ("withdraw post", "post", "vorlage_withdraw", "draft", (), {"reason": ""}, WRITE_DRAFT),
    ("withdraw released post", "post", "vorlage_withdraw", "nonpublic", (), {"reason": ""}, WRITE_RELEASED),
]
# POST-only views answer GET with 405 after the access check: who may not act still gets 404 or 403.
CASES += [
    (f"{name} get", "get", name, "draft", args, None, dict(ACTION_DRAFT, editor=405))
    for name, args in [("vorlage_section_delete", ("sections",)), ("vorlage_release", ()),
                       ("vorlage_anlage_move", ("anlagen", "up"))]
]

# The editor goes last: a granted POST may change the scene (delete, release, …).
ROLE_ORDER = ("anonymous", "outsider", "reader", "ministry", "committee", "admin", "editor")


def _url(scene, name, attr, args):
    if attr is None:
        return reverse(name)
    vorlage = getattr(scene, attr)
    values = [vorlage.pk] + [part(vorlage, a) if a in ("sections", "consultations", "anlagen") else a
                             for a in args]
    return reverse(name, args=values)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_it_answers_every_role_as_the_rules_say(scene, login, case):
    _label, method, name, attr, args, data, expected = case
    url = _url(scene, name, attr, args or ())
    got = {}
    for role in ROLE_ORDER:
        client = login(getattr(scene.users, role))
        response = client.get(url) if method == "get" else client.post(url, data)
        got[role] = response.status_code
        if response.status_code == 302 and role == "anonymous":
            assert response.url.startswith(reverse("login")), response.url
        body(response)  # reads a streamed file to its end, which closes it
    assert got == expected


def test_it_changes_nothing_for_refused_writes(scene, login):
    draft = scene.draft
    before = (draft.name, draft.sections.count(), draft.consultations.count(), draft.anlagen.count(), draft.status)
    for role in ("anonymous", "outsider", "reader", "ministry", "committee", "admin"):
        client = login(getattr(scene.users, role))
        client.post(reverse("vorlage_section_delete", args=[draft.pk, part(draft, "sections")]))
        client.post(reverse("vorlage_release", args=[draft.pk]))
        client.post(reverse("vorlage_release", args=[draft.pk]), CONFIRMED)
        client.post(reverse("vorlage_edit", args=[draft.pk]), {"name": "geändert"})
    stored = m.Vorlage.objects.get(pk=draft.pk)
    assert (stored.name, stored.sections.count(), stored.consultations.count(), stored.anlagen.count(),
            stored.status) == before


def test_it_shows_lists_with_what_the_user_may_read(scene, login):
    def listed(role, name="vorlage_list", **params):
        response = login(getattr(scene.users, role)).get(reverse(name), params)
        return sorted(v.name for v in response.context["page"])

    assert listed("outsider") == ["Entwurf Nachbar", "Öffentlich"]
    assert listed("committee") == ["Nichtöffentlich", "Öffentlich"]
    assert listed("editor", status="entwurf") == ["Entwurf"]
    assert listed("editor", q=scene.nonpublic.reference) == ["Nichtöffentlich"]
    assert listed("anonymous", "vorlage_public_list") == ["Öffentlich"]
    assert listed("editor", "vorlage_public_list") == ["Öffentlich"]
    assert listed("anonymous", "vorlage_public_list", year=today().year + 1) == []
    assert listed("anonymous", "vorlage_public_list", committee=scene.vw.committee.pk) == ["Öffentlich"]
    other = make_vorlage(scene.vw, status=S.RELEASED, committee=scene.vw.second_committee, name="KA")
    assert listed("anonymous", "vorlage_public_list", committee=scene.vw.second_committee.pk) == [other.name]
    response = login(None).get(reverse("vorlage_public_list"), {"committee": "kein"})
    assert response.status_code == 200  # a bad filter is ignored, never a 500


def test_it_paginates_the_public_list(scene, login):
    for i in range(26):
        make_vorlage(scene.vw, status=S.RELEASED, name=f"P{i:02d}", sections=0, anlagen=0)
    client = login(None)
    assert len(client.get(reverse("vorlage_public_list")).context["page"]) == 25
    second = client.get(reverse("vorlage_public_list"), {"page": 2}).context["page"]
    assert len(second) == 2 and second.number == 2


def test_it_offers_only_own_departments_and_agreements_for_creation(scene, login):
    response = login(scene.users.editor).get(reverse("vorlage_create_from_agreement"))
    form = response.context["form"]
    assert list(form.fields["department"].queryset) == [scene.vw.department]
    assert list(form.fields["agreement"].queryset) == [scene.vw.world.agreement]
    assert form.initial["author"] == scene.vw.author.pk
    response = login(scene.users.editor).post(reverse("vorlage_create_from_agreement"), {
        "agreement": scene.vw.world.other_agreement.pk, "department": scene.vw.other_department.pk,
        "author": scene.vw.other_author.pk, "date": today().isoformat()})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"agreement", "department", "author"}


def test_it_creates_through_the_pages(scene, login):
    client = login(scene.users.editor)
    response = client.post(reverse("vorlage_create_from_agreement"), {
        "agreement": scene.vw.world.agreement.pk, "department": scene.vw.department.pk,
        "author": scene.vw.author.pk, "date": today().isoformat()})
    assert response.status_code == 302
    created = m.Vorlage.objects.get(agreement=scene.vw.world.agreement)
    assert response.url == reverse("vorlage_detail", args=[created.pk])
    assert created.sections.count() == 3
    response = client.post(reverse("vorlage_create"), {
        "department": scene.vw.department.pk, "author": scene.vw.author.pk, "date": today().isoformat(),
        "name": "Ohne Vereinbarung", "paper_type": "mitteilungsvorlage", "decision_type": "kenntnisnahme",
        "public": "on", "financial_impact": "nein", "personnel_impact": "nein", "organisational_impact": "offen"})
    assert response.status_code == 302
    created = m.Vorlage.objects.get(name="Ohne Vereinbarung")
    assert (created.paper_type, created.organisational_impact, created.agreement) == (
        "mitteilungsvorlage", "offen", None)
    assert svc.available_actions(scene.users.editor, created) == ["edit", "release", "withdraw"]
