"""Downloads of the overview tables and of the agreement list: CSV for German Excel and XLSX with typed cells."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from agreements import models as m
from agreements.transfer.exports import Column, Link, Table, write_csv, write_xlsx

TABLES = ("board", "goals", "offers", "proposals", "achievement")
OTHER_COUNTIES = ("Kreis Kleve", "Stadt Essen", "Kreis Lippe", "Stadt Köln")


@pytest.fixture
def data(nrw, db):
    return nrw


def _export(client, table, fmt, params=None):
    response = client.get(reverse("overview_export", args=[table, fmt]), params or {})
    assert response.status_code == 200, response.status_code
    return response


def _csv_rows(response):
    content = response.content
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _sheet(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook.worksheets[0]


def _records(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# Overview tables -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_it_downloads_every_table_as_csv_with_german_headers(data, login, table):
    client = login(data.users.ministry)
    response = _export(client, table, "csv", {"year": 2012})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    rows = _csv_rows(response)
    assert rows[0][0] == "Kreis / kreisfreie Stadt"
    assert rows[0][1:3] == ["Regierungsbezirk", "Form des Jobcenters"]
    assert all(len(row) == len(rows[0]) for row in rows)
    # The page's rows exactly: 53 counties (× 3 years on the board).
    assert len(rows) - 1 == (53 * 3 if table == "board" else 53)


@pytest.mark.parametrize("table", TABLES)
def test_it_downloads_every_table_as_xlsx_with_typed_cells(data, login, table):
    client = login(data.users.ministry)
    response = _export(client, table, "xlsx", {"year": 2012})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;") and ".xlsx" in response["Content-Disposition"]
    sheet = _sheet(response)
    header = [c.value for c in sheet[1]]
    assert header[0] == "Kreis / kreisfreie Stadt"
    assert all(c.font.bold for c in sheet[1])
    assert sheet.max_row == (53 * 3 if table == "board" else 53) + 1
    # Count columns hold numbers, never numbers as text.
    numeric = {"board": "Unterschriften", "goals": "Zielmuster", "offers": str(m.Topic.objects.get(number=1)),
               "proposals": "Vorschläge", "achievement": "bewertete Ziele"}[table]
    values = [r[numeric] for r in _records(sheet) if r[numeric] is not None]
    assert values and all(type(v) is int for v in values)


def test_it_writes_dates_as_date_cells_in_xlsx_and_iso_in_csv(data, login):
    client = login(data.users.ministry)
    sheet = _sheet(_export(client, "board", "xlsx", {"year_from": 2012, "year_to": 2014}))
    header = [c.value for c in sheet[1]]
    column = header.index("letzte Unterschrift am") + 1
    cells = [row[column - 1] for row in sheet.iter_rows(min_row=2) if row[column - 1].value is not None]
    assert cells
    assert all(isinstance(c.value, datetime.datetime) and c.is_date for c in cells)
    assert all(c.number_format == "DD.MM.YYYY" for c in cells)
    year_column = header.index("Jahr")
    assert {row[year_column] for row in sheet.iter_rows(min_row=2, values_only=True)} == {2012, 2013, 2014}

    records = _records(sheet)
    signed = [r for r in records if r["letzte Unterschrift am"] is not None]
    title = signed[0]["Zielvereinbarung"]
    agreement = m.Agreement.objects.get(title=title)
    last = agreement.signatures.order_by("-date").first().date
    assert signed[0]["letzte Unterschrift am"].date() == last
    assert signed[0]["Unterschriften"] == agreement.signatures.count()

    rows = _csv_rows(_export(client, "board", "csv"))
    index = rows[0].index("letzte Unterschrift am")
    dates = [row[index] for row in rows[1:] if row[index]]
    assert dates and all(datetime.date.fromisoformat(d) for d in dates)

    achievement = _sheet(_export(client, "achievement", "xlsx", {"year": 2012}))
    dated = [r for r in _records(achievement) if r["letzte Nachhaltung am"] is not None]
    assert dated and all(isinstance(r["letzte Nachhaltung am"], datetime.datetime) for r in dated)


def test_it_exports_the_board_rows_the_page_shows(data, login):
    client = login(data.users.ministry)
    params = {"year_from": 2013, "year_to": 2014, "region": "detmold", "form": "zkT"}
    board = client.get(reverse("overview_board"), params).context["board"]
    records = _records(_sheet(_export(client, "board", "xlsx", params)))
    assert [(r["Kreis / kreisfreie Stadt"], r["Jahr"]) for r in records] == [
        (row.county.name, year) for row in board.rows for year in board.years
    ]
    assert {r["Regierungsbezirk"] for r in records} == {"Regierungsbezirk Detmold"}
    assert {r["Form des Jobcenters"] for r in records} == {"zkT"}
    response = _export(client, "board", "csv", params)
    assert 'filename="Statustafel 2013-2014.csv"' in response["Content-Disposition"]


def test_it_names_downloads_in_german_with_an_rfc5987_name(data, login):
    client = login(data.users.ministry)
    response = _export(client, "offers", "xlsx", {"year": 2013})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Unterst%C3%BCtzungsangebote%202013.xlsx" in disposition
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/uebersicht/unknown.csv", "/uebersicht/board.pdf", "/uebersicht/goals.xls",
                                  "/uebersicht/board.", "/vereinbarungen/export.pdf"])
def test_it_answers_404_for_an_unknown_table_or_format(data, login, path):
    assert login(data.users.ministry).get(path).status_code == 404


@pytest.mark.parametrize("params", [{"year": "abc"}, {"year": "1800"}, {"form": "?"}, {"region": "<x>"},
                                    {"year_from": "2014", "year_to": "2012"}, {"year_to": "1" * 30}])
def test_it_ignores_bad_filter_values_in_downloads(data, login, params):
    client = login(data.users.ministry)
    for table in ("board", "goals"):
        rows = _csv_rows(_export(client, table, "csv", params))
        assert len(rows) > 1


def test_it_exports_only_the_own_county_to_a_county_user(data, login):
    client = login(data.users.editor)
    for table in TABLES:
        for fmt in ("csv", "xlsx"):
            response = _export(client, table, fmt, {"year": 2013})
            if fmt == "csv":
                text = response.content.decode("utf-8-sig")
            else:
                sheet = _sheet(response)
                text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
            assert "Kreis Mettmann" in text
            for name in OTHER_COUNTIES:
                assert name not in text
    rows = _csv_rows(_export(client, "board", "csv"))
    assert {row[0] for row in rows[1:]} == {"Kreis Mettmann"}


def test_it_exports_nothing_of_mettmann_to_an_outsider(data, login):
    client = login(data.users.outsider)
    for table in TABLES:
        text = _export(client, table, "csv").content.decode("utf-8-sig")
        assert "Mettmann" not in text
    text = client.get(reverse("agreement_list_export", args=["csv"])).content.decode("utf-8-sig")
    assert "Mettmann" not in text and "Kreis Kleve" in text


def test_it_exports_only_headers_to_a_user_without_memberships(data, login):
    client = login(data.users.nobody)
    for table in TABLES:
        rows = _csv_rows(_export(client, table, "csv"))
        assert len(rows) == 1
    rows = _csv_rows(client.get(reverse("agreement_list_export", args=["csv"])))
    assert len(rows) == 1


# Agreement list ----------------------------------------------------------------------------------------

def test_it_exports_the_agreement_list_with_its_filters(data, login):
    client = login(data.users.ministry)
    url = reverse("agreement_list_export", args=["xlsx"])
    response = client.get(url, {"year": 2013, "status": "abgeschlossen"})
    assert response.status_code == 200
    assert 'filename="Zielvereinbarungen 2013.xlsx"' in response["Content-Disposition"]
    records = _records(_sheet(response))
    expected = m.Agreement.objects.filter(year=2013, status="abgeschlossen")
    assert sorted(r["Titel"] for r in records) == sorted(expected.values_list("title", flat=True))
    assert records and all(r["Jahr"] == 2013 and r["Status"] == "abgeschlossen" for r in records)
    assert all(isinstance(r["Laufzeit von"], datetime.datetime) for r in records)
    assert all(type(r["Unterschriften"]) is int and r["Anzahl Vereinbarungspartner"] == 2 for r in records)

    county = client.get(reverse("agreement_list_export", args=["csv"]), {"county": data.kleve.pk})
    rows = _csv_rows(county)
    assert rows[0][:3] == ["Jahr", "Titel", "Vereinbarungspartner"]
    assert len(rows) == 1 + 3
    assert all("Kreis Kleve" in row[1] for row in rows[1:])
    assert all(datetime.date.fromisoformat(row[rows[0].index("Laufzeit von")]) for row in rows[1:])


def test_it_exports_the_whole_list_when_the_filter_is_invalid_like_the_list_page(data, login):
    client = login(data.users.ministry)
    url = reverse("agreement_list_export", args=["csv"])
    rows = _csv_rows(client.get(url, {"year": "neunzehn"}))
    listed = client.get(reverse("agreement_list"), {"year": "neunzehn"}).context["page"].paginator.count
    assert len(rows) - 1 == listed == 159


def test_it_exports_only_visible_agreements_of_the_list(data, login):
    rows = _csv_rows(login(data.users.editor).get(reverse("agreement_list_export", args=["csv"])))
    assert len(rows) == 1 + 3
    assert all("Kreis Mettmann" in row[1] for row in rows[1:])


def test_it_never_turns_a_title_into_a_formula(data, login):
    agreement = m.Agreement.objects.filter(agreement_parties__party=data.mettmann).first()
    m.Agreement.objects.filter(pk=agreement.pk).update(title='=HYPERLINK("http://example.org","x")')
    client = login(data.users.editor)
    url = reverse("agreement_list_export", args=["csv"])
    rows = _csv_rows(client.get(url))
    assert "'=HYPERLINK(\"http://example.org\",\"x\")" in [row[1] for row in rows]
    sheet = _sheet(client.get(reverse("agreement_list_export", args=["xlsx"])))
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"


# Writers ----------------------------------------------------------------------------------------------

def test_it_writes_german_numbers_iso_dates_and_flags_in_csv():
    table = Table("t", "Test", [Column("Name"), Column("Wert", "int"), Column("Anteil"), Column("Datum", "date"),
                                Column("vorhanden", "check")])
    table.rows = [
        [Link("Kreis Ä", "/x/"), 3, Decimal("12.50"), datetime.date(2012, 5, 21), True],
        ["+49 2104", None, 0.5, None, False],
    ]
    rows = list(csv.reader(io.StringIO(write_csv(table).decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Name", "Wert", "Anteil", "Datum", "vorhanden"],
        ["Kreis Ä", "3", "12,50", "2012-05-21", "1"],
        ["'+49 2104", "", "0,5", "", "0"],
    ]
    assert write_csv(table).endswith(b"\r\n")


def test_it_writes_typed_cells_in_xlsx():
    table = Table("t", "Test: [Tabelle] mit einem sehr langen Namen", [
        Column("Name"), Column("Wert", "int"), Column("Anteil"), Column("Datum", "date"), Column("vorhanden", "check"),
    ])
    table.rows = [[Link("Kreis Ä", "/x/"), 3, Decimal("12.5"), datetime.date(2012, 5, 21), True]]
    workbook = openpyxl.load_workbook(io.BytesIO(write_xlsx(table)))
    sheet = workbook.worksheets[0]
    assert len(sheet.title) <= 31 and "[" not in sheet.title
    name, value, share, date, flag = sheet[2]
    assert (name.value, value.value, share.value, flag.value) == ("Kreis Ä", 3, 12.5, 1)
    assert date.is_date and date.value == datetime.datetime(2012, 5, 21) and date.number_format == "DD.MM.YYYY"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E2"
