import pytest
from django.core.exceptions import PermissionDenied

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import goals as svc

from . import entry_flow
from .builders_queries import assert_fixed_queries
from .builders_writes import PenEntryListTests
from .factories import PartyFactory, TopicFactory


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
    writer="ministry", on_tab=("Beratung", "Alleinerziehende"), unchanged=("Themenschwerpunkt", {}),
    history_edit=("editor", {"status": "umgesetzt"}),
)
urls = OFFERS.urls


# Permissions, escaping, conflicts, history, frozen agreements: as every list (entry_flow.py), under the pen
# (builders_writes.PenEntryListTests) -----------------------------------------------------------------------------


class TestOfferList(PenEntryListTests):
    entries = OFFERS


# Permissions ---------------------------------------------------------------------------------------------------


def test_it_does_not_let_a_superuser_write_through_the_service(world):
    data = {"topic": world.topic, "title": "x", "provider": world.ministry, "status": "geplant"}
    with pytest.raises(PermissionDenied):
        svc.save_offer(user=world.users.admin, agreement=world.agreement, data=data)


# Input ---------------------------------------------------------------------------------------------------------


def test_it_adds_an_offer_coordinated_with_the_regionaldirektion(world, login):
    rd = PartyFactory(name="Regionaldirektion NRW", kind=m.Party.Kind.REGIONALDIREKTION)
    topic = TopicFactory(number=3, name="Langzeitleistungsbezug")
    client = login(world.users.editor)  # the county is "am Zug" and writes the offers
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
    entry_flow.assert_refuses_bad_input(OFFERS, world, login(world.users.editor), view, data, fields)


def test_it_checks_the_offer_rules_in_the_service_too(world):
    data = {"topic": world.topic, "title": "x", "provider": world.ministry, "coordinated_with": world.ministry,
            "status": "geplant"}
    with pytest.raises(DomainError):
        svc.save_offer(user=world.users.editor, agreement=world.agreement, data=data)


def test_it_keeps_an_inactive_provider_selectable_on_its_offer(world, login):
    old = PartyFactory(name="Alte G.I.B.", is_active=False)
    offer = make_offer(world, provider=old, title="Altes Angebot")
    client = login(world.users.editor)
    assert "Alte G.I.B." in client.get(urls(world, offer)["edit"]).content.decode()
    assert "Alte G.I.B." not in client.get(urls(world)["add"]).content.decode()
    response = client.post(urls(world, offer)["edit"], offer_data(
        world, provider=str(old.pk), title="Altes Angebot, ergänzt", lock_version=offer.lock_version))
    assert response.status_code == 302


# Order ---------------------------------------------------------------------------------------------------------


def titles(agreement, topic):
    return list(agreement.offers.filter(topic=topic).order_by("order", "id").values_list("title", flat=True))


def test_it_moves_offers_up_and_down_within_their_topic(world, login):
    m.SupportOffer.objects.filter(pk=world.offer.pk).update(order=1)
    make_offer(world, order=2, title="Zwei")
    third = make_offer(world, order=3, title="Drei")
    elsewhere = make_offer(world, topic=TopicFactory(number=2, name="Migration"), order=1, title="Anderes Thema")
    client = login(world.users.editor)  # the county is "am Zug" and orders the offers

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


def test_it_loads_the_offers_tab_with_a_fixed_number_of_queries(world, login):
    topics = [world.topic] + [TopicFactory(number=n, name=f"Thema {n}") for n in range(2, 8)]
    partners = [PartyFactory(kind=m.Party.Kind.REGIONALDIREKTION) for _ in range(3)]

    def grow(total):
        for i in range(world.agreement.offers.count(), total):
            make_offer(world, topic=topics[i % 7], provider=partners[i % 3], coordinated_with=partners[(i + 1) % 3],
                       title=f"Angebot {i}", order=i)

    assert_fixed_queries(login(world.users.reader), urls(world)["tab"], grow, most=15, many=30)
    assert world.agreement.offers.count() == 30
