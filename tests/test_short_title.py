"""The short title of an agreement ("ZV 2013 MAIS NRW – Kreis Mettmann"): made of the year and the parties, used in
lists, breadcrumbs, page titles and the start page's activities; the agreement's heading keeps the full title."""

from django.urls import reverse

from agreements import models as m
from agreements.models.agreements import short_title


def test_it_names_the_year_and_the_parties_short_names_only_for_long_names(world):
    ministry = m.Party(name="Ministerium für Arbeit, Integration und Soziales", short_name="MAIS NRW")
    county = m.Party(name="Kreis Mettmann", short_name="ME")
    assert short_title(2013, [ministry, county]) == "ZV 2013 MAIS NRW – Kreis Mettmann"
    assert short_title(2013, [m.Party(name="Ein sehr langer Name ohne Kurzname der Stelle")]) == (
        "ZV 2013 Ein sehr langer Name ohne Kurzname der Stelle")
    assert short_title(2013, []) == "ZV 2013"


def test_it_follows_the_agreements_parties_in_their_order(world):
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    assert agreement.short_title == f"ZV {agreement.year} MAIS NRW – Kreis Mettmann"


def test_it_shows_the_short_title_in_breadcrumb_and_page_title_and_the_full_title_as_heading(world, login):
    world.agreement.title = "Zielvereinbarung " + "sehr lang " * 15
    world.agreement.save()
    short = f"ZV {world.agreement.year} MAIS NRW – Kreis Mettmann"
    for name in ("agreement_detail", "agreement_letters"):
        body = login(world.users.editor).get(reverse(name, args=[world.agreement.pk])).content.decode()
        assert f"{short}</li>" in body, name
        assert short in body.split("<title>")[1].split("</title>")[0], name
        assert f">{world.agreement.title}</h1>" in body, name


def test_it_names_agreements_by_short_title_in_the_list_and_the_activities(world, login):
    m.ProcedureStep.objects.create(agreement=world.agreement, date=world.agreement.period_start or "2013-01-01",
                                   title="Gespräch")
    short = f"ZV {world.agreement.year} MAIS NRW – Kreis Mettmann"
    client = login(world.users.editor)
    listing = client.get(reverse("agreement_list")).content.decode()
    assert f">{short}</a>" in listing
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f">{short}</a></li>" in dashboard
