import json
import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.data import reference_data
from agreements.management.commands.load_reference import load_reference
from agreements.models import Goal, Indicator, LegalBasis, Party

from .factories import GoalFactory

COUNTY_KINDS = [Party.Kind.KREIS, Party.Kind.KREISFREIE_STADT]
DATA = Path(__file__).parent / "data" / "reference"


def facts():
    return (DATA / "nrw-reference-facts.md").read_text(encoding="utf-8")


def facts_zkt():
    """The zkT named in the facts file: {name: year since}."""
    text = " ".join(facts().split())
    found = {}
    for year, count, names in re.findall(r"zkT since (\d{4}) \((\d+)\): (.*?)\.(?= |$)", text):
        listed = [name.strip() for name in names.split(",")]
        assert len(listed) == int(count)
        found.update(dict.fromkeys(listed, int(year)))
    return found


def facts_indicators():
    """The § 48a table of the facts file: [(code, name)] in its order."""
    return re.findall(r"^\| (K\dE?\d?) \| ([^|]+?) \|", facts(), flags=re.MULTILINE)


def earlier_release():
    """The tables of reference_data.py as the first release shipped it (commit 3bc633e), carried in tests/data as
    JSON ({"PARTIES": [...], "LEGAL_BASES": [...], "INDICATORS": [...]}, written from that module unchanged)."""
    return json.loads((DATA / "reference_data_3bc633e.json").read_text(encoding="utf-8"))


def install_earlier_release(monkeypatch):
    """A database as the first release's load_reference left it, before reference_values existed."""
    old = earlier_release()
    with monkeypatch.context() as patch:
        for name in ("PARTIES", "LEGAL_BASES", "INDICATORS"):
            patch.setattr(reference_data, name, tuple(old[name]))
        patch.setattr(reference_data, "EARLIER_VALUES", {})
        load_reference()
    for model in (Party, LegalBasis, Indicator):
        model.objects.update(reference_values={})
    return old


def run_command(*args):
    out = StringIO()
    call_command("load_reference", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot():
    """Every reference row with its ``modified``: a save anywhere shows up as a difference."""
    return {
        model.__name__: dict(model.objects.values_list("pk", "modified"))
        for model in (Party, LegalBasis, Indicator)
    }


@pytest.fixture
def loaded(db):
    return load_reference()


@pytest.mark.django_db
def test_it_loads_53_counties_with_one_jobcenter_each(loaded):
    counties = Party.objects.filter(kind__in=COUNTY_KINDS)
    jobcenters = Party.objects.filter(kind=Party.Kind.JOBCENTER)

    assert counties.count() == 53
    assert counties.filter(kind=Party.Kind.KREISFREIE_STADT).count() == 22
    assert counties.filter(kind=Party.Kind.KREIS).count() == 31
    assert jobcenters.count() == 53
    assert not jobcenters.filter(parent__isnull=True).exists()
    assert set(jobcenters.values_list("parent__kind", flat=True)) == set(COUNTY_KINDS)
    for county in counties:
        (jobcenter,) = county.children.all()
        assert jobcenter.key == f"jobcenter-{county.key}"
        assert jobcenter.jobcenter_form == county.jobcenter_form
        assert jobcenter.region == county.region


@pytest.mark.django_db
def test_it_assigns_counties_to_regierungsbezirke(loaded):
    per_region = Counter(Party.objects.filter(kind__in=COUNTY_KINDS).values_list("region", flat=True))

    assert per_region == {
        Party.Region.DUESSELDORF: 15,
        Party.Region.KOELN: 11,
        Party.Region.MUENSTER: 8,
        Party.Region.DETMOLD: 7,
        Party.Region.ARNSBERG: 12,
    }


@pytest.mark.django_db
def test_it_loads_the_state_level_parties(loaded):
    others = Party.objects.exclude(kind__in=[*COUNTY_KINDS, Party.Kind.JOBCENTER])
    assert sorted(others.values_list("key", flat=True)) == [
        "landkreistag-nrw", "liga-nrw", "mais-nrw", "rd-nrw",
    ]
    assert Party.objects.count() == 110

    mais = Party.objects.get(key="mais-nrw")
    assert mais.kind == Party.Kind.MINISTRY
    assert mais.short_name == "MAIS NRW"
    assert mais.address == "Fürstenwall 25, 40219 Düsseldorf"
    assert Party.objects.get(key="rd-nrw").kind == Party.Kind.REGIONALDIREKTION
    assert Party.objects.get(key="landkreistag-nrw").address == "Kavalleriestraße 8, 40213 Düsseldorf"
    assert Party.objects.get(key="liga-nrw").short_name == "Liga der Wohlfahrtsverbände"


@pytest.mark.django_db
def test_it_loads_the_mettmann_and_neuss_specifics(loaded):
    mettmann = Party.objects.get(key="kreis-mettmann")
    assert (mettmann.name, mettmann.short_name, mettmann.kind) == ("Kreis Mettmann", "ME", Party.Kind.KREIS)
    assert mettmann.region == Party.Region.DUESSELDORF
    assert mettmann.jobcenter_form == Party.JobcenterForm.GE

    me_aktiv = Party.objects.get(key="jobcenter-kreis-mettmann")
    assert me_aktiv.name == "Jobcenter ME-aktiv"
    assert me_aktiv.parent == mettmann
    assert me_aktiv.jobcenter_form == Party.JobcenterForm.GE

    neuss = Party.objects.get(key="jobcenter-rhein-kreis-neuss")
    assert neuss.name == "Jobcenter Rhein-Kreis Neuss"
    assert neuss.parent.key == "rhein-kreis-neuss"
    assert neuss.parent.short_name == "NE"


@pytest.mark.django_db
def test_it_uses_the_documented_keys(loaded):
    keys = set(Party.objects.values_list("key", flat=True))
    assert {
        "kreis-mettmann", "rhein-kreis-neuss", "stadt-koeln", "staedteregion-aachen", "hochsauerlandkreis",
        "ennepe-ruhr-kreis", "jobcenter-kreis-mettmann",
    } <= keys
    aachen = Party.objects.get(key="staedteregion-aachen")
    assert (aachen.kind, aachen.region) == (Party.Kind.KREIS, Party.Region.KOELN)
    assert Party.objects.get(key="jobcenter-stadt-koeln").name == "Jobcenter Köln"


@pytest.mark.django_db
def test_it_records_the_form_of_all_53_jobcenters(loaded):
    counties = Party.objects.filter(kind__in=COUNTY_KINDS)
    forms = Counter(counties.values_list("jobcenter_form", flat=True))

    assert forms == {Party.JobcenterForm.ZKT: 18, Party.JobcenterForm.GE: 35}
    assert not Party.objects.filter(kind__in=[*COUNTY_KINDS, Party.Kind.JOBCENTER], jobcenter_form="").exists()
    zkt = facts_zkt()
    assert len(zkt) == 18
    assert set(counties.filter(jobcenter_form="zkT").values_list("name", flat=True)) == set(zkt)
    for key, form in [
        ("oberbergischer-kreis", "gE"), ("kreis-herford", "gE"), ("stadt-muenster", "zkT"),
        ("stadt-solingen", "zkT"), ("stadt-wuppertal", "zkT"), ("kreis-recklinghausen", "zkT"),
        ("kreis-mettmann", "gE"), ("rhein-kreis-neuss", "gE"),
    ]:
        assert Party.objects.get(key=key).jobcenter_form == form, key
        assert Party.objects.get(key=f"jobcenter-{key}").jobcenter_form == form, key


@pytest.mark.django_db
def test_it_names_the_source_of_every_reference_record(loaded):
    for model in (Party, LegalBasis, Indicator):
        assert not model.objects.filter(source="").exists(), model
    zkt = facts_zkt()
    for county in Party.objects.filter(kind__in=COUNTY_KINDS):
        jobcenter = county.children.get()
        assert jobcenter.source == county.source
        if county.jobcenter_form == "zkT":
            assert f"zkT) seit 01.01.{zkt[county.name]}" in county.source, county.key
        else:
            assert "gemeinsame Einrichtung (gE)" in county.source, county.key
    assert "Pressemitteilung vom 31.03.2011" in Party.objects.get(key="oberbergischer-kreis").source
    assert "Zuschlag für Wuppertal und Solingen" in Party.objects.get(key="stadt-wuppertal").source
    k2e1 = Indicator.objects.get(code="K2E1")
    assert "BGBl. I 2010 S. 1152" in k2e1.source
    assert "§ 5 Abs. 2 Nr. 1" in k2e1.source
    assert "https://www.gesetze-im-internet.de/sgb2_48afkv/__5.html" in k2e1.source
    assert "Vorlage 50/015/2012" in LegalBasis.objects.get(citation="§ 2a AG-SGB II NRW").source


@pytest.mark.django_db
def test_it_stores_only_valid_values(loaded):
    # full_clean catches a choice value or length that the database (SQLite) would silently accept.
    for model in (Party, LegalBasis, Indicator):
        for obj in model.objects.all():
            obj.full_clean()


@pytest.mark.django_db
def test_it_loads_the_legal_bases(loaded):
    citations = list(LegalBasis.objects.values_list("citation", flat=True))
    assert citations[:3] == ["§ 48b SGB II", "§ 2a AG-SGB II NRW", "§ 1 AG-SGB II NRW"]
    assert set(citations) == {
        "§ 48b SGB II", "§ 48a SGB II", "§ 2a AG-SGB II NRW", "§ 1 AG-SGB II NRW",
        "§ 6 Abs. 1 Nr. 2 SGB II", "§ 44b SGB II",
    }
    assert all(LegalBasis.objects.values_list("title", flat=True))
    assert all(LegalBasis.objects.values_list("text", flat=True))
    assert "umfassendes Steuerungselement" in LegalBasis.objects.get(citation="§ 48b SGB II").text
    section_2a = LegalBasis.objects.get(citation="§ 2a AG-SGB II NRW")
    assert "gemeinsame Einrichtung nach § 44b SGB II" in section_2a.text


@pytest.mark.django_db
def test_it_loads_the_15_indicators_of_the_regulation(loaded):
    expected = facts_indicators()
    assert len(expected) == 15

    assert list(Indicator.objects.values_list("code", "name")) == expected
    main = Indicator.objects.filter(parent__isnull=True)
    assert list(main.values_list("code", flat=True)) == ["K1", "K2", "K3"]
    for code in ["K1", "K2", "K3"]:
        children = Indicator.objects.filter(parent__code=code).values_list("code", flat=True)
        assert list(children) == [f"{code}E{i}" for i in range(1, 5)]
    assert set(Indicator.objects.values_list("unit", flat=True)) == {"%"}


@pytest.mark.django_db
def test_it_stores_how_each_indicator_is_computed(loaded):
    computed = {i.code: i for i in Indicator.objects.all()}
    for indicator in computed.values():
        assert indicator.numerator and indicator.denominator, indicator.code
        assert indicator.computation in Indicator.Computation.values, indicator.code

    k1 = computed["K1"]
    assert k1.computation == Indicator.Computation.CHANGE
    assert k1.window_months is None
    assert k1.denominator == "Summe der Leistungen zum Lebensunterhalt im Bezugsmonat des Vorjahres"
    k2 = computed["K2"]
    assert (k2.computation, k2.window_months) == (Indicator.Computation.QUOTA, 12)
    assert k2.numerator == "Summe der Integrationen in den vergangenen zwölf Monaten"
    assert "Durchschnittlicher Bestand" in k2.denominator
    k1e4 = computed["K1E4"]
    assert (k1e4.computation, k1e4.window_months) == (Indicator.Computation.MEAN, 12)
    assert k1e4.denominator.endswith("im Vormonat")
    k3e2 = computed["K3E2"]
    assert (k3e2.computation, k3e2.window_months) == (Indicator.Computation.QUOTA, None)
    # The 12-month window exactly where the regulation has one.
    assert {code for code, i in computed.items() if i.window_months == 12} == {
        "K1E3", "K1E4", "K2", "K2E1", "K2E2", "K2E3", "K2E4", "K3E1", "K3E3", "K3E4",
    }


@pytest.mark.django_db
def test_it_reports_counts_per_model():
    out = run_command()

    assert out.splitlines() == [
        "Beteiligte Stellen: 110 angelegt, 0 geändert, 0 unverändert, 0 von Hand geänderte Werte beibehalten",
        "Rechtsgrundlagen: 6 angelegt, 0 geändert, 0 unverändert, 0 von Hand geänderte Werte beibehalten",
        "Kennzahlen: 15 angelegt, 0 geändert, 0 unverändert, 0 von Hand geänderte Werte beibehalten",
    ]


@pytest.mark.django_db
def test_it_changes_nothing_on_a_second_run():
    run_command()
    before = snapshot()
    history_before = Party.history.count()

    out = run_command()

    assert snapshot() == before
    assert Party.history.count() == history_before
    assert out.splitlines() == [
        "Beteiligte Stellen: 0 angelegt, 0 geändert, 110 unverändert, 0 von Hand geänderte Werte beibehalten",
        "Rechtsgrundlagen: 0 angelegt, 0 geändert, 6 unverändert, 0 von Hand geänderte Werte beibehalten",
        "Kennzahlen: 0 angelegt, 0 geändert, 15 unverändert, 0 von Hand geänderte Werte beibehalten",
    ]


@pytest.mark.django_db
def test_it_returns_counts_when_called_as_a_function(loaded):
    assert loaded["party"] == {"created": 110, "changed": 0, "unchanged": 0, "kept": 0}

    assert load_reference() == {
        "party": {"created": 0, "changed": 0, "unchanged": 110, "kept": 0},
        "legalbasis": {"created": 0, "changed": 0, "unchanged": 6, "kept": 0},
        "indicator": {"created": 0, "changed": 0, "unchanged": 15, "kept": 0},
    }


@pytest.mark.django_db
def test_it_prints_nothing_at_verbosity_0():
    assert run_command("--verbosity", "0") == ""
    assert Party.objects.count() == 110


def corrected_release(monkeypatch, changes):
    """A later release whose data differs from today's in the given (code, field) values of indicators."""
    records = []
    for record in reference_data.INDICATORS:
        record = dict(record)
        for (code, field), value in changes.items():
            if record["code"] == code:
                record[field] = value
        records.append(record)
    monkeypatch.setattr(reference_data, "INDICATORS", tuple(records))


@pytest.mark.django_db
def test_it_names_each_change_at_verbosity_2(loaded, monkeypatch):
    corrected_release(monkeypatch, {("K2", "unit"): "Prozent"})

    out = run_command("--verbosity", "2")

    assert "geändert: K2 (unit)" in out


@pytest.mark.django_db
def test_it_corrects_what_it_wrote_itself(loaded, monkeypatch):
    k2 = Indicator.objects.get(code="K2")
    goal = GoalFactory(indicator=k2)
    corrected_release(monkeypatch, {("K2", "name"): "Integrationsquote (neu)", ("K2", "window_months"): 6})

    result = load_reference()

    assert result["indicator"] == {"created": 0, "changed": 1, "unchanged": 14, "kept": 0}
    k2.refresh_from_db()
    assert (k2.name, k2.window_months) == ("Integrationsquote (neu)", 6)
    assert k2.reference_values["name"] == "Integrationsquote (neu)"
    goal.refresh_from_db()
    assert goal.indicator_id == k2.pk


@pytest.mark.django_db
def test_it_keeps_and_reports_what_an_admin_changed(loaded, monkeypatch):
    before = snapshot()
    Party.objects.filter(key="kreis-mettmann").update(name="Kreis Mettmann (alt)", region=Party.Region.KOELN)
    jobcenter = Party.objects.get(key="jobcenter-kreis-mettmann")
    Party.objects.filter(pk=jobcenter.pk).update(parent=Party.objects.get(key="stadt-koeln"))
    LegalBasis.objects.filter(citation="§ 48b SGB II").update(text="eigene Fassung")
    Indicator.objects.filter(code="K1E1").update(unit="Euro")
    # A later release also changes a field an admin changed: the admin's value still wins.
    corrected_release(monkeypatch, {("K1E1", "unit"): "Prozent"})

    out = run_command()

    assert snapshot() == before
    mettmann = Party.objects.get(key="kreis-mettmann")
    assert (mettmann.name, mettmann.region) == ("Kreis Mettmann (alt)", Party.Region.KOELN)
    assert Party.objects.get(pk=jobcenter.pk).parent.key == "stadt-koeln"
    assert LegalBasis.objects.get(citation="§ 48b SGB II").text == "eigene Fassung"
    assert Indicator.objects.get(code="K1E1").unit == "Euro"
    assert "Beteiligte Stellen: 0 angelegt, 0 geändert, 110 unverändert, 3 von Hand geänderte Werte " \
        "beibehalten" in out
    assert "von Hand geändert, beibehalten: Beteiligte Stelle „kreis-mettmann“, Name = „Kreis Mettmann (alt)“ " \
        "(Referenzdaten: „Kreis Mettmann“)" in out
    assert "„jobcenter-kreis-mettmann“, übergeordnete Stelle / kommunaler Träger = „stadt-koeln“ " \
        "(Referenzdaten: „kreis-mettmann“)" in out
    assert "Kennzahl „K1E1“, Einheit = „Euro“ (Referenzdaten: „Prozent“)" in out
    assert "Rechtsgrundlagen: 0 angelegt, 0 geändert, 6 unverändert, 1 von Hand geänderte Werte beibehalten" in out

    # Once the admin takes the reference value again, the loader owns the field again.
    Party.objects.filter(key="kreis-mettmann").update(name="Kreis Mettmann")
    assert load_reference()["party"]["kept"] == 2


@pytest.mark.django_db
def test_it_reports_without_saving_in_a_dry_run(monkeypatch):
    install_earlier_release(monkeypatch)
    before = snapshot()
    stamps = list(Party.objects.values_list("reference_values", flat=True))

    out = run_command("--dry-run")

    assert "Beteiligte Stellen: 0 angelegt, 110 geändert, 0 unverändert" in out
    assert "Kennzahlen: 4 angelegt, 11 geändert, 0 unverändert" in out
    assert out.splitlines()[-1] == "Probelauf: nichts gespeichert."
    assert snapshot() == before
    assert list(Party.objects.values_list("reference_values", flat=True)) == stamps
    assert Party.objects.get(key="oberbergischer-kreis").jobcenter_form == "zkT"


@pytest.mark.django_db
def test_it_keeps_fields_it_does_not_manage(loaded):
    Party.objects.filter(key="kreis-mettmann").update(street="Düsseldorfer Straße 26", is_active=False)
    extra = Party.objects.create(key="jobcenter-test", name="Testjobcenter", kind=Party.Kind.JOBCENTER)

    result = load_reference()

    assert result["party"] == {"created": 0, "changed": 0, "unchanged": 110, "kept": 0}
    mettmann = Party.objects.get(key="kreis-mettmann")
    assert (mettmann.street, mettmann.is_active) == ("Düsseldorfer Straße 26", False)
    assert Party.objects.filter(pk=extra.pk).exists()


# Upgrading an installation loaded by the first release ------------------------------------------------------


@pytest.mark.django_db
def test_the_earlier_release_had_the_errors_this_one_corrects(monkeypatch):
    install_earlier_release(monkeypatch)

    forms = Counter(Party.objects.filter(kind__in=COUNTY_KINDS).values_list("jobcenter_form", flat=True))
    assert forms == {"zkT": 16, "gE": 16, "": 21}
    assert Party.objects.get(key="oberbergischer-kreis").jobcenter_form == "zkT"
    assert Indicator.objects.count() == 11
    assert Indicator.objects.get(code="K2E1").name == "Veränderung der Zahl der Integrationen"
    assert not Party.objects.exclude(reference_values={}).exists()


@pytest.mark.django_db
def test_it_corrects_an_installation_loaded_with_the_earlier_data(monkeypatch):
    install_earlier_release(monkeypatch)
    k2e1 = Indicator.objects.get(code="K2E1")
    k1 = Indicator.objects.get(code="K1")
    goals = [GoalFactory(indicator=k2e1), GoalFactory(indicator=k2e1), GoalFactory(indicator=k1)]
    # Entered by an admin in the old installation: a blank form filled in (wrongly, as it happens), a blank
    # form filled in as the sources say, and an indicator's description in their own words.
    Party.objects.filter(key__in=["kreis-viersen", "jobcenter-kreis-viersen"]).update(jobcenter_form="zkT")
    Party.objects.filter(key__in=["kreis-wesel", "jobcenter-kreis-wesel"]).update(jobcenter_form="gE")
    Indicator.objects.filter(code="K3E2").update(description="Anteil der LZB in Maßnahmen (eigene Notiz)")
    indicator_pks = dict(Indicator.objects.values_list("code", "pk"))

    out = run_command()

    # The forms the first release got wrong or left blank are corrected ...
    counties = Party.objects.filter(kind__in=COUNTY_KINDS)
    for key, form in [("oberbergischer-kreis", "gE"), ("kreis-herford", "gE"), ("stadt-muenster", "zkT"),
                      ("stadt-solingen", "zkT"), ("stadt-wuppertal", "zkT"), ("kreis-recklinghausen", "zkT"),
                      ("stadt-remscheid", "gE"), ("kreis-wesel", "gE")]:
        assert Party.objects.get(key=key).jobcenter_form == form, key
        assert Party.objects.get(key=f"jobcenter-{key}").jobcenter_form == form, key
    # ... except the admin's own entry, which is kept and reported.
    assert Party.objects.get(key="kreis-viersen").jobcenter_form == "zkT"
    assert Party.objects.get(key="jobcenter-kreis-viersen").jobcenter_form == "zkT"
    assert "„kreis-viersen“, Form des Jobcenters = „zkT“ (Referenzdaten: „gE“)" in out
    assert "„jobcenter-kreis-viersen“, Form des Jobcenters = „zkT“ (Referenzdaten: „gE“)" in out
    forms = Counter(counties.values_list("jobcenter_form", flat=True))
    assert forms == {"zkT": 19, "gE": 34}
    assert not counties.filter(jobcenter_form="").exists()

    # The catalogue is the regulation's; renamed indicators are the same rows, so goals keep pointing to them.
    assert list(Indicator.objects.values_list("code", "name")) == facts_indicators()
    assert {code: pk for code, pk in Indicator.objects.values_list("code", "pk") if code in indicator_pks} \
        == indicator_pks
    for goal in goals:
        old_pk = goal.indicator_id
        goal.refresh_from_db()
        assert goal.indicator_id == old_pk
    assert Goal.objects.get(pk=goals[0].pk).indicator.name == "Quote der Eintritte in geringfügige Beschäftigung"
    assert "Kennzahl K2E1 umbenannt: „Veränderung der Zahl der Integrationen“ heißt jetzt „Quote der Eintritte " \
        "in geringfügige Beschäftigung“; 2 Ziele verweisen darauf und behalten sie." in out
    k3e2 = Indicator.objects.get(code="K3E2")
    assert k3e2.description == "Anteil der LZB in Maßnahmen (eigene Notiz)"
    assert k3e2.numerator.startswith("Zahl der Langzeitleistungsbezieher in einer Maßnahme")
    assert "Kennzahl „K3E2“, Beschreibung = „Anteil der LZB in Maßnahmen (eigene Notiz)“" in out
    assert "Kennzahlen: 4 angelegt, 11 geändert, 0 unverändert, 1 von Hand geänderte Werte beibehalten" in out
    assert "Beteiligte Stellen: 0 angelegt, 110 geändert, 0 unverändert, 2 von Hand geänderte Werte " \
        "beibehalten" in out
    latest = Party.history.filter(id=Party.objects.get(key="oberbergischer-kreis").pk).latest("history_date")
    assert latest.history_change_reason == "load_reference"

    # From now on the loader knows what it wrote: a second run changes nothing and still reports the admin's.
    before = snapshot()
    again = run_command()
    assert snapshot() == before
    assert "Beteiligte Stellen: 0 angelegt, 0 geändert, 110 unverändert, 2 von Hand geänderte Werte " \
        "beibehalten" in again


@pytest.mark.django_db
def test_it_rolls_back_everything_when_a_step_fails(monkeypatch):
    broken = ({"code": "X1", "name": "kaputt", "parent": "fehlt"},)
    monkeypatch.setattr(reference_data, "INDICATORS", broken)

    with pytest.raises(KeyError):
        load_reference()

    assert not Party.objects.exists()
    assert not LegalBasis.objects.exists()


def test_it_keeps_parents_before_children_in_the_data():
    # The loader resolves "parent" in one pass, which relies on this order.
    for records, key_field in [(reference_data.PARTIES, "key"), (reference_data.INDICATORS, "code")]:
        seen = set()
        for record in records:
            if "parent" in record:
                assert record["parent"] in seen, record
            seen.add(record[key_field])
        assert len(seen) == len(records), "duplicate key"


# Where the catalogue and its sources are shown ----------------------------------------------------------------


def goals_tab(client, agreement):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("agreement_goals", args=[agreement.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_it_shows_how_an_indicator_is_computed_on_the_goals_tab(world, login):
    load_reference()
    client = login(world.users.editor)
    for code, title, computation in (
        ("K1E4", "Abgänge steigern",
         "Berechnung: Zahl der abgegangenen erwerbsfähigen Leistungsberechtigten im Bezugsmonat geteilt durch "
         "Zahl der erwerbsfähigen Leistungsberechtigten im Vormonat; Durchschnitt der Monatswerte über die "
         "vergangenen 12 Monate; in %"),
        ("K2", "Integrationen steigern",
         "Berechnung: Summe der Integrationen in den vergangenen zwölf Monaten geteilt durch "
         "Durchschnittlicher Bestand der erwerbsfähigen Leistungsberechtigten in den vergangenen zwölf "
         "Monaten; Zeitraum: die vergangenen 12 Monate; in %"),
        ("K1", "Leistungen senken",
         "Berechnung: Summe der Leistungen zum Lebensunterhalt im Bezugsmonat geteilt durch Summe der "
         "Leistungen zum Lebensunterhalt im Bezugsmonat des Vorjahres; Veränderung gegenüber dem Bezugsmonat "
         "des Vorjahres; in %"),
    ):
        indicator = Indicator.objects.get(code=code)
        GoalFactory(agreement=world.agreement, kind="quantitativ", indicator=indicator, title=title)
        page, small = goals_tab(client, world.agreement)
        assert f"{code} – {indicator.name}" in page
        assert computation in " ".join(page.split())
    assert "K1E4 – Durchschnittliche Abgangsrate der erwerbsfähigen Leistungsberechtigten" in page

    codes = list(Indicator.objects.values_list("code", flat=True))
    for i, code in enumerate(codes * 2):
        GoalFactory(agreement=world.agreement, kind="quantitativ", indicator=Indicator.objects.get(code=code),
                    level=("landesziel", "lokal")[i % 2], title=f"Ziel {i}")
    page, large = goals_tab(client, world.agreement)
    assert page.count("Berechnung:") == 33
    assert large == small


def test_it_shows_the_source_and_the_admins_deviations_in_the_admin(world, login):
    load_reference()
    client = login(world.users.admin)
    k2e1 = Indicator.objects.get(code="K2E1")

    page = client.get(reverse("admin:agreements_indicator_change", args=[k2e1.pk])).content.decode()

    assert "BGBl. I 2010 S. 1152" in page
    assert 'href="https://www.gesetze-im-internet.de/sgb2_48afkv/__5.html"' in page
    assert "keine: alle Werte wie in den Referenzdaten" in page

    herford = Party.objects.get(key="kreis-herford")
    Party.objects.filter(pk=herford.pk).update(jobcenter_form="zkT")
    page = client.get(reverse("admin:agreements_party_change", args=[herford.pk])).content.decode()
    assert "nicht unter den 18 zkT in NRW" in page
    assert "Form des Jobcenters: zkT (Referenzdaten: gE)" in page

    basis = LegalBasis.objects.get(citation="§ 2a AG-SGB II NRW")
    page = client.get(reverse("admin:agreements_legalbasis_change", args=[basis.pk])).content.decode()
    assert "Vorlage 50/015/2012" in page

    extra = Party.objects.create(key="jobcenter-test", name="Testjobcenter", kind=Party.Kind.JOBCENTER)
    page = client.get(reverse("admin:agreements_party_change", args=[extra.pk])).content.decode()
    assert "keine Quelle angegeben" in page
    assert "kein Eintrag der Referenzdaten" in page
