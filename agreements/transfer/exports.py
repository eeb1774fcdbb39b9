"""Tables as CSV and XLSX downloads, written so that a German Excel opens them without an import dialogue.

A `Table` is what a page shows: German column headers, one list of values per row. The same object feeds the
HTML table and both writers, so a download holds exactly the rows of the page.

Formats (chosen for German Excel, which is what the ministry and the counties open them with):
- CSV: UTF-8 with BOM (Excel guesses the encoding from it), ";" as separator (German Excel's list
  separator; "," is the decimal comma there), CRLF line ends, every field quoted only where needed.
  Dates are ISO 8601 (2012-05-21): unambiguous, sortable, and recognised as dates by German Excel too.
  Whole numbers are plain digits; decimals use the decimal comma ("12,5"), which German Excel reads as a
  number (a decimal point would turn "1.5" into a date).
- XLSX (openpyxl): numbers are number cells, dates are date cells formatted "DD.MM.YYYY", the header row is
  bold, frozen and has an auto filter.
- Text that starts like a formula (=, +, -, @) is never evaluated: CSV prefixes it with an apostrophe (the
  usual guard against CSV injection), XLSX stores it as a string cell.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

from agreements.infra.files import content_disposition

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATE_FORMAT = "DD.MM.YYYY"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Link:
    """A value that the page shows as a link and a download as its text."""

    text: str
    url: str

    def __str__(self):
        return self.text


@dataclass
class Column:
    """kind: text, int, date or check (a yes/no mark: ✓ on the page, 1/0 in downloads)."""

    header: str
    kind: str = "text"
    description: str = ""


@dataclass
class Table:
    name: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    # The first n columns name the row (th scope="row" on the page).
    row_headers: int = 1
    # Shown on the page only: totals under the table and an explanation. Downloads hold the rows alone.
    footer: list | None = None
    note: str = ""

    @property
    def display_rows(self):
        """Rows as (value, column) pairs, for templates (which cannot zip)."""
        return [list(zip(row, self.columns, strict=True)) for row in self.rows]


def _plain(value):
    """The value a download stores: links become their text, yes/no marks 1/0, datetimes local dates."""
    if isinstance(value, Link):
        return value.text
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _csv_text(value):
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(table):
    buffer = io.StringIO()
    # The BOM makes Excel read UTF-8; without it umlauts arrive as "Ã¼".
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_text(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _sheet_title(title):
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in str(title))
    return cleaned[:31] or "Tabelle"


def write_xlsx(table):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    # Write-only mode streams rows: the agreement list may be long, and memory stays flat.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    sheet.freeze_panes = "A2"
    widths = [len(str(c.header)) for c in table.columns]
    for row in table.rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(str(_plain(value) if value is not None else "")))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    if table.columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"

    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        cell.data_type = "s"
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = []
        for value in row:
            value = _plain(value)
            if isinstance(value, Decimal):
                value = float(value)
            cell = WriteOnlyCell(sheet, value=value if value is None or isinstance(
                value, (int, float, datetime.date)) else str(value))
            if isinstance(value, datetime.date):
                cell.number_format = DATE_FORMAT
            elif cell.data_type == "f":
                # A text that looks like a formula stays text.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


def export_response(table, fmt, filename):
    """The download of `table` as `fmt` (csv or xlsx) named `filename` plus the extension."""
    response = HttpResponse(WRITERS[fmt](table), content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    # Access-controlled data: neither a shared cache nor the browser's back button should keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
