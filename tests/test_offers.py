import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import goals as svc

from . import entry_flow
from .factories import ROLES, PartyFactory, TopicFactory


def offer_data(world, **overrides):
    data = {
        "topic": str(world.topic.pk), "title": "Qualifizierung von Fachkräften", "text": "Workshops im Frühjahr",
        "provider": str(world.ministry.pk), "coordinated_with": "", "status": "in_konkretisierung",
        "lock_version": "",
    }
    data.update(overrides)
    return data


def make_offer(world, **kwargs):
    kwargs.setdefault("topic", world.topic)
    kwargs.setdefault("provider", world.ministry)
    kwargs.setdefault("title", "Angebot")
    return m.SupportOffer.objects.create(agreement=kwargs.pop("agreement", world.agreement), **kwargs)


def snapshot(agreement):
    return list(m.SupportOffer.objects.filter(agreement=agreement).order_by("pk").values_list(
        "pk", "title", "topic_id", "order", "status", "lock_version"))


def second_offer(world):
    m.SupportOffer.objects.filter(pk=world.offer.pk).update(order=1)
    return make_offer(world, order=2, title="Zweites")


OFFERS = entry_flow.EntryList(
    name="offer", tab="agreement_offers", model=m.SupportOffer, entry=lambda world: world.offer,
    data=offer_data, snapshot=snapshot, second=second_offer,
    foreign=lambda world: make_offer(world, agreement=world.other_agreement, title="Fremdes Angebot"),
    writer="ministry",
)
urls = OFFERS.urls


# Permissions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_offers_tab_to_readers_only(world, login, role):
    response = login(getattr(world.users, role)).get(urls(world)["tab"])
    if entry_flow.reaches_the_tab(response, role):
        assert response.status_code == 200
        body = response.content.decode()
        assert "Beratung" in body and "Alleinerziehende" in body
        assert (urls(world)["add"] in body) == (role in entry_flow.WRITERS)
        assert (urls(world)["delete"] in body) == (role in entry_flow.WRITERS)


test_it_refuses_other_methods_on_the_offers_tab = entry_flow.refuses_other_methods_on_the_tab(OFFERS)
test_it_guards_the_offer_forms_on_get = entry_flow.guards_the_forms_on_get(OFFERS)
test_it_guards_the_offer_actions_on_get = entry_flow.guards_the_actions_on_get(OFFERS)
test_it_guards_adding_an_offer = entry_flow.guards_adding(OFFERS)
test_it_guards_editing_an_offer = entry_flow.guards_editing(OFFERS)
test_it_guards_deleting_an_offer = entry_flow.guards_deleting(OFFERS)
test_it_guards_moving_an_offer = entry_flow.guards_moving(OFFERS)
test_it_hides_an_offer_of_another_agreement = entry_flow.hides_an_entry_of_another_agreement(OFFERS)


def test_it_does_not_let_a_superuser_write_through_the_service(world):
    data = {"topic": world.topic, "title": "x", "provider": world.ministry, "status": "geplant"}
    with pytest.raises(PermissionDenied):
        svc.save_offer(user=world.users.admin, agreement=world.agreement, data=data)


# Input ---------------------------------------------------------------------------------------------------------


def test_it_adds_an_offer_coordinated_with_the_regionaldirektion(world, login):
    rd = PartyFactory(name="Regionaldirektion NRW", kind=m.Party.Kind.REGIONALDIREKTION)
    topic = TopicFactory(number=3, name="Langzeitleistungsbezug")
    client = login(world.users.ministry)
    response = client.post(urls(world)["add"], offer_data(world, topic=str(topic.pk), coordinated_with=str(rd.pk)))
    assert response.status_code == 302
    offer = m.SupportOffer.objects.get(title="Qualifizierung von Fachkräften")
    assert (offer.topic, offer.provider, offer.coordinated_with, offer.order) == (topic, world.ministry, rd, 1)
    body = client.get(urls(world)["tab"]).content.decode()
    assert "Themenschwerpunkt 3: Langzeitleistungsbezug" in body
    assert "Regionaldirektion NRW" in body and "in Konkretisierung" in body
    assert body.index("Themenschwerpunkt 1") < body.index("Themenschwerpunkt 3")


def test_it_suggests_the_ministry_as_provider(world, login):
    response = login(world.users.editor).get(urls(world)["add"] + f"?thema={world.topic.pk}")
    initial = response.context["form"].initial
    assert initial["provider"] == world.ministry.pk
    assert initial["topic"] == world.topic.pk


BAD_OFFERS = {
    "empty": ({}, ["topic", "title", "provider", "status"]),
    "title too long": ({"title": "x" * 301}, ["title"]),
    "text too long": ({"text": "x" * 20001}, ["text"]),
    "unknown topic": ({"topic": "999999"}, ["topic"]),
    "topic not a number": ({"topic": "eins"}, ["topic"]),
    "unknown provider": ({"provider": "999999"}, ["provider"]),
    "unknown partner": ({"coordinated_with": "999999"}, ["coordinated_with"]),
    "coordinated with itself": ({"coordinated_with": "PROVIDER"}, ["coordinated_with"]),
    "unknown status": ({"status": "erledigt"}, ["status"]),
}


@pytest.mark.parametrize("case", BAD_OFFERS)
@pytest.mark.parametrize("view", ["add", "edit"])
def test_it_refuses_bad_offer_input(world, login, case, view):
    overrides, fields = BAD_OFFERS[case]
    data = {} if case == "empty" else offer_data(world, lock_version=world.offer.lock_version, **overrides)
    if data.get("coordinated_with") == "PROVIDER":
        data["coordinated_with"] = data["provider"]
    before = snapshot(world.agreement)
    response = login(world.users.editor).post(urls(world)[view], data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in fields:
        assert field in errors, errors
    assert snapshot(world.agreement) == before


def test_it_checks_the_offer_rules_in_the_service_too(world):
    data = {"topic": world.topic, "title": "x", "provider": world.ministry, "coordinated_with": world.ministry,
            "status": "geplant"}
    with pytest.raises(DomainError):
        svc.save_offer(user=world.users.editor, agreement=world.agreement, data=data)


def test_it_stores_markup_as_text_and_escapes_it(world, login):
    client = login(world.users.editor)
    payload = "<script>alert(1)</script>"
    response = client.post(urls(world)["add"], offer_data(world, title=payload, text=f"Text {payload}"))
    assert response.status_code == 302
    assert m.SupportOffer.objects.filter(title=payload, text=f"Text {payload}").exists()
    body = client.get(urls(world)["tab"]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert" not in body


def test_it_keeps_an_inactive_provider_selectable_on_its_offer(world, login):
    old = PartyFactory(name="Alte G.I.B.", is_active=False)
    offer = make_offer(world, provider=old, title="Altes Angebot")
    client = login(world.users.editor)
    assert "Alte G.I.B." in client.get(urls(world, offer)["edit"]).content.decode()
    assert "Alte G.I.B." not in client.get(urls(world)["add"]).content.decode()
    response = client.post(urls(world, offer)["edit"], offer_data(
        world, provider=str(old.pk), title="Altes Angebot, ergänzt", lock_version=offer.lock_version))
    assert response.status_code == 302


# Conflicts, history ------------------------------------------------------------------------------------------


def test_it_shows_a_conflict_instead_of_overwriting(world, login):
    first = login(world.users.editor)
    second = Client()
    second.force_login(world.users.ministry)
    url = urls(world)["edit"]
    lock_first = first.get(url).context["form"].initial["lock_version"]
    lock_second = second.get(url).context["form"].initial["lock_version"]

    assert first.post(url, offer_data(world, title="Erste Änderung", lock_version=lock_first)).status_code == 302
    response = second.post(url, offer_data(world, title="Zweite Änderung", lock_version=lock_second))
    assert response.status_code == 409
    assert "Bearbeitungskonflikt" in response.content.decode()
    rows = {str(row["label"]): row for row in response.context["rows"]}
    assert rows["Titel"]["changed"]
    assert rows["Titel"]["theirs"] == "Erste Änderung"
    assert not rows["Themenschwerpunkt"]["changed"]
    world.offer.refresh_from_db()
    assert world.offer.title == "Erste Änderung"


def test_it_records_who_changed_an_offer(world, login):
    response = login(world.users.editor).post(
        urls(world)["edit"], offer_data(world, status="umgesetzt", lock_version=world.offer.lock_version))
    assert response.status_code == 302
    record = world.offer.history.first()
    assert record.history_type == "~"
    assert record.history_user == world.users.editor
    assert record.status == "umgesetzt"


# Frozen agreements ---------------------------------------------------------------------------------------------


test_it_sends_frozen_forms_back_to_the_tab = entry_flow.sends_frozen_forms_back_to_the_tab(OFFERS)
test_it_changes_nothing_on_a_frozen_agreement = entry_flow.changes_nothing_on_a_frozen_agreement(OFFERS)


# Order ---------------------------------------------------------------------------------------------------------


def titles(agreement, topic):
    return list(agreement.offers.filter(topic=topic).order_by("order", "id").values_list("title", flat=True))


def test_it_moves_offers_up_and_down_within_their_topic(world, login):
    m.SupportOffer.objects.filter(pk=world.offer.pk).update(order=1)
    make_offer(world, order=2, title="Zwei")
    third = make_offer(world, order=3, title="Drei")
    elsewhere = make_offer(world, topic=TopicFactory(number=2, name="Migration"), order=1, title="Anderes Thema")
    client = login(world.users.ministry)

    client.post(urls(world, third)["up"])
    assert titles(world.agreement, world.topic) == ["Beratung", "Drei", "Zwei"]
    client.post(urls(world)["up"])  # the first goes nowhere
    assert titles(world.agreement, world.topic) == ["Beratung", "Drei", "Zwei"]
    client.post(urls(world)["down"])
    assert titles(world.agreement, world.topic) == ["Drei", "Beratung", "Zwei"]
    elsewhere.refresh_from_db()
    assert elsewhere.order == 1
    body = client.get(urls(world)["tab"]).content.decode()
    assert body.index("Drei") < body.index("Beratung") < body.index("Zwei") < body.index("Anderes Thema")


def test_it_puts_an_offer_that_changes_topic_at_the_end(world, login):
    topic = TopicFactory(number=2, name="Migration")
    make_offer(world, topic=topic, order=1, title="Migration 1")
    response = login(world.users.editor).post(
        urls(world)["edit"], offer_data(world, topic=str(topic.pk), title="Jetzt Migration",
                                        lock_version=world.offer.lock_version))
    assert response.status_code == 302
    assert titles(world.agreement, topic) == ["Migration 1", "Jetzt Migration"]


# Queries -------------------------------------------------------------------------------------------------------


def offers_tab_queries(world, client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(urls(world)["tab"])
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_loads_the_offers_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.reader)
    topics = [world.topic] + [TopicFactory(number=n, name=f"Thema {n}") for n in range(2, 8)]
    partners = [PartyFactory(kind=m.Party.Kind.REGIONALDIREKTION) for _ in range(3)]
    make_offer(world, topic=topics[1], coordinated_with=partners[0])
    small = offers_tab_queries(world, client)
    for i in range(28):
        make_offer(world, topic=topics[i % 7], provider=partners[i % 3], coordinated_with=partners[(i + 1) % 3],
                   title=f"Angebot {i}", order=i)
    assert world.agreement.offers.count() == 30
    large = offers_tab_queries(world, client)
    assert small == large
    assert large <= 15
