from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from agreements import reference_data
from agreements.management.commands.load_reference import load_reference
from agreements.models import Indicator, LegalBasis, Party

COUNTY_KINDS = [Party.Kind.KREIS, Party.Kind.KREISFREIE_STADT]


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
def test_it_records_only_the_known_jobcenter_forms(loaded):
    forms = Counter(Party.objects.filter(kind__in=COUNTY_KINDS).values_list("jobcenter_form", flat=True))

    assert forms == {Party.JobcenterForm.ZKT: 16, Party.JobcenterForm.GE: 16, "": 21}
    assert Party.objects.get(key="stadt-essen").jobcenter_form == Party.JobcenterForm.ZKT
    assert Party.objects.get(key="jobcenter-stadt-hamm").jobcenter_form == Party.JobcenterForm.ZKT
    assert Party.objects.get(key="jobcenter-staedteregion-aachen").jobcenter_form == Party.JobcenterForm.GE
    assert Party.objects.get(key="kreis-wesel").jobcenter_form == ""


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
def test_it_loads_the_indicator_hierarchy(loaded):
    main = Indicator.objects.filter(parent__isnull=True)
    assert list(main.values_list("code", flat=True)) == ["K1", "K2", "K3"]
    assert Indicator.objects.get(code="K1").name == "Verringerung der Hilfebedürftigkeit"
    assert Indicator.objects.get(code="K2").name == "Verbesserung der Integration in Erwerbstätigkeit"
    assert Indicator.objects.get(code="K3").name == "Vermeidung von langfristigem Leistungsbezug"

    children = {
        code: sorted(Indicator.objects.filter(parent__code=code).values_list("code", flat=True))
        for code in ["K1", "K2", "K3"]
    }
    assert children == {
        "K1": ["K1E1", "K1E2"],
        "K2": ["K2E1", "K2E2", "K2E3", "K2E4"],
        "K3": ["K3E1", "K3E2"],
    }
    kdu = Indicator.objects.get(code="K1E1")
    assert kdu.name == "Veränderung der Summe der Leistungen für Unterkunft und Heizung"
    assert kdu.unit == "%"
    # Ordered like the published catalogue: each main indicator followed by its sub-indicators.
    assert list(Indicator.objects.values_list("code", flat=True)) == [
        "K1", "K1E1", "K1E2", "K2", "K2E1", "K2E2", "K2E3", "K2E4", "K3", "K3E1", "K3E2",
    ]


@pytest.mark.django_db
def test_it_reports_counts_per_model():
    out = run_command()

    assert out.splitlines() == [
        "Beteiligte Stellen: 110 angelegt, 0 geändert, 0 unverändert",
        "Rechtsgrundlagen: 6 angelegt, 0 geändert, 0 unverändert",
        "Kennzahlen: 11 angelegt, 0 geändert, 0 unverändert",
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
        "Beteiligte Stellen: 0 angelegt, 0 geändert, 110 unverändert",
        "Rechtsgrundlagen: 0 angelegt, 0 geändert, 6 unverändert",
        "Kennzahlen: 0 angelegt, 0 geändert, 11 unverändert",
    ]


@pytest.mark.django_db
def test_it_returns_counts_when_called_as_a_function(loaded):
    assert loaded["party"] == {"created": 110, "changed": 0, "unchanged": 0}

    assert load_reference() == {
        "party": {"created": 0, "changed": 0, "unchanged": 110},
        "legalbasis": {"created": 0, "changed": 0, "unchanged": 6},
        "indicator": {"created": 0, "changed": 0, "unchanged": 11},
    }


@pytest.mark.django_db
def test_it_prints_nothing_at_verbosity_0():
    assert run_command("--verbosity", "0") == ""
    assert Party.objects.count() == 110


@pytest.mark.django_db
def test_it_names_each_change_at_verbosity_2(loaded):
    Party.objects.filter(key="kreis-mettmann").update(short_name="KME")

    out = run_command("--verbosity", "2")

    assert "geändert: kreis-mettmann (short_name)" in out


@pytest.mark.django_db
def test_it_restores_tampered_reference_fields(loaded):
    before = snapshot()
    Party.objects.filter(key="kreis-mettmann").update(name="Kreis Mettmann (alt)", region=Party.Region.KOELN)
    jobcenter = Party.objects.get(key="jobcenter-kreis-mettmann")
    Party.objects.filter(pk=jobcenter.pk).update(parent=Party.objects.get(key="stadt-koeln"))
    LegalBasis.objects.filter(citation="§ 48b SGB II").update(text="geändert")
    Indicator.objects.filter(code="K1E1").update(parent=Indicator.objects.get(code="K3"), unit="Euro")

    result = load_reference()

    assert result["party"] == {"created": 0, "changed": 2, "unchanged": 108}
    assert result["legalbasis"]["changed"] == 1
    assert result["indicator"]["changed"] == 1
    mettmann = Party.objects.get(key="kreis-mettmann")
    assert (mettmann.name, mettmann.region) == ("Kreis Mettmann", Party.Region.DUESSELDORF)
    assert Party.objects.get(pk=jobcenter.pk).parent == mettmann
    assert LegalBasis.objects.get(citation="§ 48b SGB II").text.startswith("§ 48b SGB II enthält")
    kdu = Indicator.objects.get(code="K1E1")
    assert (kdu.parent.code, kdu.unit) == ("K1", "%")

    after = snapshot()
    changed = {pk for pk, modified in after["Party"].items() if modified != before["Party"][pk]}
    assert changed == {mettmann.pk, jobcenter.pk}
    latest = Party.history.filter(id=mettmann.pk).latest("history_date")
    assert latest.history_change_reason == "load_reference"


@pytest.mark.django_db
def test_it_keeps_what_the_reference_data_leaves_open(loaded):
    # A blank Jobcenter form means "not confirmed"; the admin's entry must survive the next load.
    Party.objects.filter(key__in=["kreis-wesel", "jobcenter-kreis-wesel"]).update(jobcenter_form="gE")
    Party.objects.filter(key="kreis-mettmann").update(street="Düsseldorfer Straße 26", is_active=False)
    extra = Party.objects.create(key="jobcenter-test", name="Testjobcenter", kind=Party.Kind.JOBCENTER)

    result = load_reference()

    assert result["party"] == {"created": 0, "changed": 0, "unchanged": 110}
    assert Party.objects.get(key="jobcenter-kreis-wesel").jobcenter_form == "gE"
    mettmann = Party.objects.get(key="kreis-mettmann")
    assert (mettmann.street, mettmann.is_active) == ("Düsseldorfer Straße 26", False)
    assert Party.objects.filter(pk=extra.pk).exists()


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
