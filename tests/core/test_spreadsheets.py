"""CSV files for spreadsheets: UTF-8 with a BOM, and no cell a spreadsheet would run."""

import csv
import io

import pytest

from core.spreadsheets import BOM, csv_response, neutralised


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+7 701 000 0000", "'+7 701 000 0000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Дана = 1", "Дана = 1"),
        ("عائشہ", "عائشہ"),
        ("", ""),
        (None, ""),
        (3, 3),
    ],
)
def test_cells_that_could_start_a_formula_are_text(value, cell):
    assert neutralised(value) == cell


def test_the_response_is_utf8_with_a_bom_a_header_and_a_file_name():
    response = csv_response("event-7-attendees.csv", ["Name", "=cmd"], [["Әлия", "-1"], [2, 3]])

    body = response.content.decode("utf-8")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="event-7-attendees.csv"'
    assert body.startswith(BOM)
    assert list(csv.reader(io.StringIO(body.removeprefix(BOM)))) == [
        ["Name", "'=cmd"],
        ["Әлия", "'-1"],
        ["2", "3"],
    ]
