"""The follow-on agreement (issue 12, point 5): next year's agreement derived from the 2012 demo moves every year
reference that follows the agreement's year and keeps the others; every copied passage is on a checklist, and the
first Fassung is sent only when the party am Zug has ticked off every one. Services, the checklist page (each
role, bad input, a fixed number of queries), the refusal on the Fassungen tab and on sending, the overview, the
timeline and the archive."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import models as m
from agreements.data.demo import agreement_2012 as demo
from agreements.infra.errors import DomainError
from agreements.services import follow_on, lifecycle, versions
from agreements.services.transitions import AGREEMENT
from agreements.text import years

from .archive_builders import archive_data, export, import_, normalised, refused, rewrite, the_copy
from .factories import ROLES

pytestmark = pytest.mark.django_db

K = m.CopiedPassage.Kind
TOO_BIG = "99999999999999999999999999"
YEARS = re.compile(r"(?<!\d)20(?:11|12|13|14)(?!\d)")


def messages_of(response):
    return [str(msg) for msg in get_messages(response.wsgi_request)]


def review_url(agreement):
    return reverse("follow_on_review", args=[agreement.pk])


def texts_of(agreement):
    """Every text of the agreement that a follow-on copies, as (where, text)."""
    rows = [("title", agreement.title), ("preamble", agreement.preamble),
            ("legal_basis_note", agreement.legal_basis_note)]
    rows += [(f"section {s.heading}", f"{s.heading}\n{s.text}") for s in agreement.sections.all()]
    rows += [(f"goal {g.title}", f"{g.title}\n{g.text}") for g in agreement.goals.all()]
    rows += [(f"offer {o.title}", f"{o.title}\n{o.text}") for o in agreement.offers.all()]
    return rows


# The follow-on of the 2012 demo -----------------------------------------------------------------------------------


@pytest.fixture
def follow_on_2013(demo_2012):
    """The county's editor derives the 2013 agreement from the demo's 2012 one: (the follow-on, the editor)."""
    editor = get_user_model().objects.get(username="kreis-editor")
    return lifecycle.derive(user=editor, agreement=demo_2012, kind="next_year"), editor


def test_the_2013_follow_on_moves_every_year_that_follows_the_agreements_year(demo_2012, follow_on_2013):
    target, _editor = follow_on_2013
    assert target.year == 2013 and target.predecessor == demo_2012
    assert (target.period_start.isoformat(), target.period_end.isoformat()) == ("2013-01-01", "2013-12-31")
    assert target.title == demo.TITLE_2012.replace("Zielvereinbarung 2012", "Zielvereinbarung 2013")
    # Written out by hand, reference by reference: the agreement's year, the agreement it continues, the period.
    assert target.preamble == (
        demo.PREAMBLE_2012.replace("für das Jahr 2012", "für das Jahr 2013")
        .replace("Sie setzt die Zielvereinbarung 2011 fort", "Sie setzt die Zielvereinbarung 2012 fort")
        .replace("Für 2012 werden", "Für 2013 werden"))
    sections = {s.heading: s.text for s in target.sections.all()}
    assert sections["§ 2 Ziele"] == demo.GOALS_SECTION_2012.replace("für das Jahr 2012", "für das Jahr 2013") \
        .replace("werden für 2012 nicht", "werden für 2013 nicht")
    assert sections["§ 5 Laufzeit"] == ("Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2013. Sie wird mit "
                                       "der Unterzeichnung durch beide Vertragspartner wirksam.")
    # The rest stays: the Liga's statement is still of 23.01.2012, the other sections name no year.
    original = {s.heading: s.text for s in demo_2012.sections.all()}
    for heading in ("§ 1 Gegenstand", "§ 3 Unterstützung durch das Land", "§ 4 Zielnachhaltung"):
        assert sections[heading] == original[heading]
    assert "Liga der Wohlfahrtsverbände vom 23.01.2012" in sections["§ 1 Gegenstand"]
    kdu = target.goals.get(title=demo.KDU_TITLE)
    assert "im Jahr 2013 gegenüber dem Vorjahr" in kdu.text
    # Every year reference left in the copied texts is the one that does not follow the year.
    left = [(where, match.group()) for where, text in texts_of(target) for match in YEARS.finditer(text)
            if not text[max(0, match.start() - 6):match.end()].endswith("01.2012")]
    assert all(year == "2013" or (year == "2012" and where.startswith("preamble")) for where, year in left), left


def test_the_checklist_lists_every_copied_passage_with_its_year_references(demo_2012, follow_on_2013):
    target, _editor = follow_on_2013
    passages = list(target.copied_passages.order_by("order"))
    sections = list(target.sections.order_by("order", "id"))
    goals = list(target.goals.order_by("order", "id"))
    offers = list(target.offers.order_by("topic__number", "order", "id"))
    assert [(p.kind, p.section, p.goal, p.offer) for p in passages] == [
        (K.TITLE, None, None, None), (K.PREAMBLE, None, None, None),
        *((K.SECTION, s, None, None) for s in sections), *((K.GOAL, None, g, None) for g in goals),
        *((K.OFFER, None, None, o) for o in offers),
    ]
    assert len(passages) == 2 + 5 + 5 + 7  # the demo has no further legal bases as free text
    assert not any(p.is_reviewed for p in passages)
    # Each passage holds the text as copied, and the references it moved or kept, in place.
    by_kind = {(p.kind, p.label): p for p in passages}
    section_2 = by_kind[(K.SECTION, "§ 2 Ziele")]
    assert section_2.content == [{"field": "heading", "text": "§ 2 Ziele"},
                                 {"field": "text", "text": target.sections.get(heading="§ 2 Ziele").text}]
    assert [(r["old"], r["new"], r["rule"]) for r in section_2.year_references] == [
        ("2012", "2013", years.AGREEMENT_YEAR), ("2012", "2013", years.AGREEMENT_YEAR)]
    section_1 = by_kind[(K.SECTION, "§ 1 Gegenstand")]
    assert [(r["old"], r["new"], r["rule"]) for r in section_1.year_references] == [("2012", "2012", years.DATE)]
    assert section_1.replacements == []
    preamble = by_kind[(K.PREAMBLE, "")]
    assert [(r["old"], r["new"], r["rule"]) for r in preamble.year_references] == [
        ("2012", "2013", years.AGREEMENT_YEAR), ("2011", "2012", years.PREVIOUS_YEAR),
        ("2012", "2013", years.AGREEMENT_YEAR)]
    for passage in passages:
        for ref in passage.year_references:
            text = next(c["text"] for c in passage.content if c["field"] == ref["field"])
            assert text[ref["start"]:ref["end"]] == ref["new"]
    # The timeline says what went on the checklist.
    step = target.steps.get(action="agreement.derived")
    assert step.data["passages"] == 19 and step.data["moved"] == 8
    assert ("19 übernommene Passagen stehen auf der Prüfliste; 8 Jahresangaben wurden auf das neue Jahr umgestellt."
            in step.rendered("de")[1])


def test_the_jobcenter_mirror_copies_the_same_year_and_lists_its_passages(world):
    world.agreement.preamble = "Für das Jahr 2013 vereinbaren die Partner."
    world.agreement.save()
    mirror = lifecycle.derive(user=world.users.editor, agreement=world.agreement, kind="jobcenter")
    assert mirror.preamble == "Für das Jahr 2013 vereinbaren die Partner."
    assert [(p.kind, p.year_references) for p in mirror.copied_passages.order_by("order")] == [
        (K.PREAMBLE, []), (K.SECTION, []), (K.GOAL, []), (K.OFFER, [])]
    step = mirror.steps.get()
    assert step.data == {"year": 2013, "title": world.agreement.title, "source": world.agreement.short_title,
                         "passages": 4, "moved": 0}
    # The entry names the source by its short title ("ZV 2013 …"), not by the long one.
    assert f"aus „{world.agreement.short_title}“ abgeleitet" in step.rendered("de")[1]
    assert world.agreement.title not in step.rendered("de")[1]


@pytest.mark.parametrize("kind", ["next_year", "jobcenter"])
def test_a_nachtrag_is_not_derived_from_and_not_offered_to_be(world, login, kind):
    """A follow-on follows the agreement, not its Nachtrag: the service refuses, saying why, the page offers
    neither button, and the agreement itself still offers both."""
    world.agreement.status = m.Agreement.Status.SIGNED
    world.agreement.save()
    amendment = lifecycle.create_amendment(user=world.users.editor, agreement=world.agreement)
    count = m.Agreement.objects.count()
    with pytest.raises(DomainError, match="Folgevereinbarungen werden aus dieser abgeleitet"):
        lifecycle.derive(user=world.users.editor, agreement=amendment, kind=kind)
    assert m.Agreement.objects.count() == count
    assert "derive" not in AGREEMENT.available(world.users.editor, amendment)
    client = login(world.users.editor)
    page = client.get(reverse("agreement_detail", args=[amendment.pk])).content.decode()
    assert reverse("agreement_derive", args=[amendment.pk, kind]) not in page
    page = client.get(reverse("agreement_detail", args=[world.agreement.pk])).content.decode()
    assert reverse("agreement_derive", args=[world.agreement.pk, kind]) in page
    response = client.post(reverse("agreement_derive", args=[amendment.pk, kind]), follow=True)
    assert m.Agreement.objects.count() == count
    assert any("Folgevereinbarungen werden aus dieser abgeleitet" in str(msg)
               for msg in get_messages(response.wsgi_request))


# The checklist and the send ---------------------------------------------------------------------------------------


@pytest.fixture
def derived(world):
    """The 2014 follow-on of the world's 2013 agreement, with year references in its texts; the county is am Zug."""
    world.agreement.preamble = "Die Zielvereinbarung für das Jahr 2013 setzt die Zielvereinbarung 2012 fort."
    world.agreement.save()
    world.section.text = "Die Stellungnahme vom 23.01.2013 ist beigefügt. Seit 2012 berichtet der Kreis."
    world.section.save()
    target = lifecycle.derive(user=world.users.editor, agreement=world.agreement, kind="next_year")
    world.target = target
    return target


def test_the_send_is_refused_until_every_passage_is_ticked(world, derived):
    passages = list(derived.copied_passages.order_by("order"))
    assert len(passages) == 5  # title, preamble, section, goal, offer
    refusal = AGREEMENT.refusal(world.users.editor, derived, "send")
    assert "5 übernommene Passagen, die noch nicht geprüft sind" in refusal.reason
    assert refusal.link == review_url(derived) and not refusal.forbidden
    with pytest.raises(DomainError, match="noch nicht geprüft"):
        versions.send_draft(user=world.users.editor, agreement=derived)

    assert follow_on.review_passages(user=world.users.editor, agreement=derived,
                                     passage_ids=[p.pk for p in passages[:4]]) == 4
    with pytest.raises(DomainError, match="1 übernommene Passage, die noch nicht geprüft ist"):
        versions.send_draft(user=world.users.editor, agreement=derived)
    assert follow_on.review_passages(user=world.users.editor, agreement=derived,
                                     passage_ids=[passages[4].pk]) == 1
    assert AGREEMENT.refusal(world.users.editor, derived, "send") is None
    version = versions.send_draft(user=world.users.editor, agreement=derived)
    assert version.number == 1
    reviewed = derived.copied_passages.all()
    assert {(p.reviewed_by, p.reviewed_at is not None) for p in reviewed} == {(world.users.editor, True)}
    steps = [s.rendered("de")[1] for s in derived.steps.filter(action="follow_on.reviewed").order_by("id")]
    assert steps == [
        "Editor (Kreis Mettmann) hat 4 übernommene Passagen als geprüft markiert. Noch offen: 1 Passage.",
        "Editor (Kreis Mettmann) hat 1 übernommene Passage als geprüft markiert. Damit sind alle übernommenen "
        "Passagen geprüft.",
    ]


def test_only_the_party_am_zug_ticks_passages_off(world, derived):
    passage = derived.copied_passages.first()
    with pytest.raises(DomainError, match="Am Zug ist Kreis Mettmann"):
        follow_on.review_passages(user=world.users.ministry, agreement=derived, passage_ids=[passage.pk])
    for user in (world.users.reader, world.users.admin, world.users.outsider):
        with pytest.raises(PermissionDenied):
            follow_on.review_passages(user=user, agreement=derived, passage_ids=[passage.pk])
    assert derived.copied_passages.filter(reviewed_at__isnull=False).count() == 0


def test_it_refuses_passages_of_another_agreement_and_an_empty_choice(world, derived):
    other = lifecycle.derive(user=world.users.editor, agreement=world.agreement, kind="next_year")
    foreign = other.copied_passages.first()
    for ids, message in (([foreign.pk], "gehört nicht zu dieser Zielvereinbarung"), ([], "mindestens eine"),
                         (["x"], "Unbekannte Passage")):
        with pytest.raises(DomainError, match=message):
            follow_on.review_passages(user=world.users.editor, agreement=derived, passage_ids=ids)
    assert not m.CopiedPassage.objects.filter(reviewed_at__isnull=False).exists()


def test_ticking_twice_changes_nothing_the_second_time(world, derived):
    ids = list(derived.copied_passages.values_list("pk", flat=True))
    assert follow_on.review_passages(user=world.users.editor, agreement=derived, passage_ids=ids) == 5
    first = list(derived.copied_passages.values_list("reviewed_at", flat=True))
    assert follow_on.review_passages(user=world.users.editor, agreement=derived,
                                     passage_ids=ids) == 0
    assert list(derived.copied_passages.values_list("reviewed_at", flat=True)) == first
    assert derived.steps.filter(action="follow_on.reviewed").count() == 1


def test_an_agreement_without_a_checklist_is_sent_as_before(world):
    assert AGREEMENT.refusal(world.users.editor, world.agreement, "send") is None
    assert versions.send_draft(user=world.users.editor, agreement=world.agreement).number == 2


def test_deleting_a_copied_goal_takes_it_off_the_checklist(world, derived):
    from agreements.services import goals as goal_svc

    goal = derived.goals.get()
    goal_svc.delete_goal(user=world.users.editor, goal=goal)
    assert not derived.copied_passages.filter(kind=K.GOAL).exists()
    assert derived.copied_passages.count() == 4


# The pages --------------------------------------------------------------------------------------------------------


def test_the_checklist_page_shows_each_passage_with_its_year_references_marked(world, derived, login):
    response = login(world.users.editor).get(review_url(derived))
    assert response.status_code == 200
    content = response.content.decode()
    assert "5 von 5 übernommenen Passagen sind noch nicht geprüft." in content
    # Moved: the old year struck through, the new one inserted; kept: marked, with the reason.
    assert ('für das Jahr <del><span class="visually-hidden">bisher: </span>2013</del><ins><span '
            'class="visually-hidden">jetzt: </span>2014</ins>') in content
    assert "Zielvereinbarung <del>" in content
    assert '<mark>2013<span class="visually-hidden"> (unverändert)</span></mark> ist beigefügt' in content
    assert "<li>2013 → 2014: umgestellt (Jahr der Vereinbarung)</li>" in content
    assert "<li>2012 → 2013: umgestellt (Vorjahr)</li>" in content
    assert "<li>2013: unverändert (Datum eines Ereignisses)</li>" in content
    assert "<li>2012: unverändert (Rückblick)</li>" in content
    # One labelled checkbox per open passage, and the way to edit each passage.
    for passage in derived.copied_passages.all():
        assert f'id="passage-{passage.pk}"' in content and f'for="passage-{passage.pk}"' in content
    assert reverse("section_edit", args=[derived.pk, derived.sections.get().pk]) in content
    assert reverse("goal_edit", args=[derived.pk, derived.goals.get().pk]) in content


def test_the_author_ticks_passages_off_on_the_page(world, derived, login):
    client = login(world.users.editor)
    ids = list(derived.copied_passages.order_by("order").values_list("pk", flat=True))
    response = client.post(review_url(derived), {"passages": ids[:2]})
    assert response.status_code == 302 and response.url == review_url(derived)
    assert messages_of(response) == ["2 Passagen wurden als geprüft markiert."]
    content = client.get(review_url(derived)).content.decode()
    assert "3 von 5 übernommenen Passagen sind noch nicht geprüft." in content
    assert content.count("Geprüft von Editor am") == 2
    assert f'id="passage-{ids[0]}"' not in content and f'id="passage-{ids[2]}"' in content
    response = client.post(review_url(derived), {"passages": ids[2:]})
    assert messages_of(response) == ["3 Passagen wurden als geprüft markiert."]
    content = client.get(review_url(derived)).content.decode()
    assert "Alle 5 übernommenen Passagen sind geprüft." in content
    assert "<form" not in content.split("Prüfliste der übernommenen Passagen</h2>")[1]


def test_the_fassungen_tab_explains_the_send_with_a_link_to_the_checklist(world, derived, login):
    client = login(world.users.editor)
    content = client.get(reverse("agreement_versions", args=[derived.pk])).content.decode()
    assert "5 übernommene Passagen, die noch nicht geprüft sind" in content
    assert f'<a href="{review_url(derived)}">Zur Prüfliste</a>' in content
    assert reverse("draft_send", args=[derived.pk]) not in content  # no form to send
    response = client.post(reverse("draft_send", args=[derived.pk]), {"note": ""})
    assert response.status_code == 302
    [message] = messages_of(response)
    assert "noch nicht geprüft" in message and f'<a href="{review_url(derived)}">Zur Prüfliste</a>' in message
    assert not derived.versions.exists()
    # The message is shown with its link (not escaped) on the page it leads to.
    page = client.get(response.url).content.decode()
    assert f'<a href="{review_url(derived)}">Zur Prüfliste</a></div>' in page

    follow_on.review_passages(user=world.users.editor, agreement=derived,
                              passage_ids=derived.copied_passages.values_list("pk", flat=True))
    content = client.get(reverse("agreement_versions", args=[derived.pk])).content.decode()
    assert reverse("draft_send", args=[derived.pk]) in content and "Zur Prüfliste" not in content


def test_the_overview_shows_the_checklists_state(world, derived, login):
    client = login(world.users.ministry)
    content = client.get(reverse("agreement_detail", args=[derived.pk])).content.decode()
    assert "5 von 5 übernommenen Passagen sind noch nicht geprüft." in content
    assert f'<a href="{review_url(derived)}">Zur Prüfliste</a>' in content
    follow_on.review_passages(user=world.users.editor, agreement=derived,
                              passage_ids=derived.copied_passages.values_list("pk", flat=True))
    content = client.get(reverse("agreement_detail", args=[derived.pk])).content.decode()
    assert "Alle 5 übernommenen Passagen sind geprüft." in content
    # An agreement that copied nothing has no checklist to speak of.
    content = client.get(reverse("agreement_detail", args=[world.agreement.pk])).content.decode()
    assert "Prüfliste" not in content


# (GET, POST) per role. The county is am Zug; the ministry reads the checklist and is sent back when it posts.
EXPECTED = {
    "anonymous": (302, 302), "outsider": (404, 404), "committee": (404, 404), "reader": (200, 403),
    "admin": (200, 403), "editor": (200, 302), "ministry": (200, 302),
}


@pytest.mark.parametrize("role", ROLES)
def test_it_answers_each_role(world, derived, login, role):
    client = login(getattr(world.users, role))
    passage = derived.copied_passages.first()
    assert client.get(review_url(derived)).status_code == EXPECTED[role][0]
    response = client.post(review_url(derived), {"passages": [passage.pk]})
    assert response.status_code == EXPECTED[role][1]
    passage.refresh_from_db()
    assert passage.is_reviewed == (role == "editor")
    if role == "ministry":
        assert response.url == review_url(derived)
        assert any("Am Zug ist Kreis Mettmann" in text for text in messages_of(response))
    if role == "reader":
        assert "name=\"passages\"" not in client.get(review_url(derived)).content.decode()


@pytest.mark.parametrize("data", [
    {}, {"passages": [TOO_BIG]}, {"passages": ["-" + TOO_BIG]}, {"passages": ["abc"]}, {"passages": [""]},
    {"passages": ["<script>"]},
])
def test_it_answers_bad_input_with_a_form_error(world, derived, login, data):
    response = login(world.users.editor).post(review_url(derived), data)
    assert response.status_code == 200
    assert response.context["form"].errors["passages"]
    assert 'role="alert"' in response.content.decode()
    assert not derived.copied_passages.filter(reviewed_at__isnull=False).exists()


def test_it_refuses_a_passage_of_another_agreement_in_the_form(world, derived, login):
    other = lifecycle.derive(user=world.users.editor, agreement=world.agreement, kind="next_year")
    response = login(world.users.editor).post(review_url(derived), {"passages": [other.copied_passages.first().pk]})
    assert response.status_code == 200 and response.context["form"].errors["passages"]
    assert not m.CopiedPassage.objects.filter(reviewed_at__isnull=False).exists()


def test_an_agreement_without_a_checklist_has_an_empty_page(world, login):
    client = login(world.users.editor)
    content = client.get(review_url(world.agreement)).content.decode()
    assert "keine Passagen aus einer anderen Vereinbarung übernommen" in content
    response = client.post(review_url(world.agreement), {"passages": ["1"]})
    assert response.status_code == 302 and messages_of(response) == ["Alle übernommenen Passagen sind bereits geprüft."]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(world, target, total):
    """The follow-on's checklist brought to `total` passages (sections copied from the predecessor)."""
    have = target.copied_passages.count()
    for n in range(have, total):
        section = m.AgreementSection.objects.create(agreement=target, order=10 + n, heading=f"§ {n} für 2014",
                                                    text="Seit 2013 gilt es.")
        m.CopiedPassage.objects.create(
            agreement=target, kind=K.SECTION, section=section, label=section.heading, order=10 + n,
            content=[{"field": "heading", "text": section.heading}, {"field": "text", "text": section.text}],
            year_references=[{"field": "heading", "start": 8, "end": 12, "old": "2013", "new": "2014",
                              "rule": years.AGREEMENT_YEAR},
                             {"field": "text", "start": 5, "end": 9, "old": "2013", "new": "2013",
                              "rule": years.HISTORY}],
            reviewed_by=world.users.editor if n % 2 else None,
            reviewed_at=target.created if n % 2 else None,
        )


@pytest.mark.parametrize("role", ["editor", "ministry"])
def test_the_checklist_page_issues_a_fixed_number_of_queries(world, derived, login, role):
    client = login(getattr(world.users, role))
    _grow(world, derived, 6)
    few = _count(client, review_url(derived))
    _grow(world, derived, 30)
    assert _count(client, review_url(derived)) == few
    assert few <= 14, few


@pytest.mark.parametrize("name", ["agreement_detail", "agreement_versions"])
def test_the_overview_and_the_fassungen_tab_issue_a_fixed_number_of_queries(world, derived, login, name):
    client = login(world.users.editor)
    _grow(world, derived, 6)
    few = _count(client, reverse(name, args=[derived.pk]))
    _grow(world, derived, 30)
    assert _count(client, reverse(name, args=[derived.pk])) == few


def test_the_overview_of_an_agreement_without_a_checklist_asks_nothing_more(world, login):
    """The agreement's overview and the dashboard ask the same number of queries whether or not some agreement has
    a checklist: the checklist's state comes with the agreement's own query."""
    client = login(world.users.editor)
    before = {name: _count(client, reverse(name, args=[world.agreement.pk])) for name in ("agreement_detail",)}
    dashboard = _count(client, reverse("dashboard"))
    board = _count(client, reverse("overview_board"))
    lifecycle.derive(user=world.users.editor, agreement=world.agreement, kind="next_year")
    assert {name: _count(client, reverse(name, args=[world.agreement.pk])) for name in before} == before
    assert _count(client, reverse("dashboard")) == dashboard
    assert _count(client, reverse("overview_board")) == board


# The archive ------------------------------------------------------------------------------------------------------


def test_the_archive_carries_the_checklist(demo_2012, follow_on_2013, tmp_path):
    target, editor = follow_on_2013
    ticked = list(target.copied_passages.order_by("order")[:3])
    follow_on.review_passages(user=editor, agreement=target, passage_ids=[p.pk for p in ticked])
    path = export(target, tmp_path / "a.zip")
    data = archive_data(path)
    assert len(data["copied_passages"]) == 19
    assert data["copied_passages"][0]["reviewed_by"] == "kreis-editor"
    assert data["copied_passages"][2]["section"] == "section-1"
    import_(path, "--as-copy")
    copied = the_copy(target)
    assert normalised(archive_data(export(copied, tmp_path / "b.zip"))) == normalised(data)
    passages = list(copied.copied_passages.order_by("order"))
    assert [p.section.agreement for p in passages if p.section] == [copied] * 5
    assert [p.is_reviewed for p in passages] == [True] * 3 + [False] * 16
    assert AGREEMENT.refusal(editor, copied, "send") is not None


def test_the_archive_refuses_a_passage_that_points_at_an_item_of_another_kind(demo_2012, follow_on_2013, tmp_path,
                                                                               settings):
    target, _editor = follow_on_2013
    path = export(target, tmp_path / "a.zip")
    data = archive_data(path)
    data["copied_passages"][2]["section"] = None
    broken = rewrite(path, tmp_path / "b.zip", data=data)
    refused(settings, broken, "verweist nicht auf ein Element ihrer Art")


def test_the_archive_reads_one_written_before_the_checklist(demo_2012, tmp_path):
    path = export(demo_2012, tmp_path / "a.zip")
    data = archive_data(path)
    assert data["copied_passages"] == []
    del data["copied_passages"]
    import_(rewrite(path, tmp_path / "b.zip", data=data), "--as-copy")
    assert not the_copy(demo_2012).copied_passages.exists()


def test_every_passage_kind_points_at_what_it_says(world):
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        m.CopiedPassage.objects.create(agreement=world.agreement, kind=K.SECTION, content=[])
    with transaction.atomic(), pytest.raises(IntegrityError):
        m.CopiedPassage.objects.create(agreement=world.agreement, kind=K.PREAMBLE, goal=world.goal, content=[])


def test_a_user_who_reads_sees_who_reviews(world, derived, login):
    content = login(world.users.reader).get(review_url(derived)).content.decode()
    assert "Die Passagen prüft Kreis Mettmann, die Stelle am Zug." in content
    assert 'name="passages"' not in content
