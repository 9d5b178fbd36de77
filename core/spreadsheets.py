"""CSV files that office staff open in a spreadsheet (Excel, LibreOffice, Google Sheets).

Two things a plain ``csv.writer`` gets wrong for them:

- Excel reads a CSV without a byte-order mark in the machine's legacy code page, so Cyrillic,
  Kazakh and Urdu names come out garbled: the file starts with UTF-8's BOM.
- A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before
  one) is run as a formula when the file is opened: a user who names themselves
  ``=HYPERLINK(…)`` would run it on an office computer. Such a text is prefixed with an
  apostrophe, which spreadsheets show as text (OWASP's advice on CSV injection).
"""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

BOM = "\ufeff"
# What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value) -> str | int:
    """A cell's value safe to open: numbers as they are, texts that could start a formula
    prefixed with an apostrophe."""
    if isinstance(value, int):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download named ``filename`` (ASCII, chosen by the caller): UTF-8 with a BOM, a
    header row, every cell neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow([neutralised(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
    return response
