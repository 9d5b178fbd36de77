"""Each type whose lists read only the columns they show declares, beside itself, what every
one of its fields reads (schema.core.selection.RowColumns): a field added to the type fails
here until its author says which columns it needs, or that it needs none (it is computed
from the primary key, shown by a join or read by a query of its own), or the whole row."""

import pytest

from schema.cities.types import CITY_COLUMNS, OFFICE_COLUMNS, TWINNING_COLUMNS
from schema.events.types import EVENT_COLUMNS
from schema.schema import schema

DECLARATIONS = {
    "Event": EVENT_COLUMNS,
    "City": CITY_COLUMNS,
    "Twinning": TWINNING_COLUMNS,
    "CityOffice": OFFICE_COLUMNS,
}


@pytest.mark.parametrize("type_name", DECLARATIONS)
def test_every_field_of_the_type_says_what_it_reads(type_name):
    fields = set(schema.graphql_schema.get_type(type_name).fields)

    undeclared = fields - DECLARATIONS[type_name].declared()

    assert not undeclared, f"{type_name}: say which columns these read: {sorted(undeclared)}"


@pytest.mark.parametrize("type_name", DECLARATIONS)
def test_the_declaration_names_only_fields_of_the_type(type_name):
    fields = set(schema.graphql_schema.get_type(type_name).fields) | {"__typename"}

    assert DECLARATIONS[type_name].declared() <= fields


def test_a_selection_reads_the_columns_of_its_fields_and_of_the_rows_joined():
    paths = frozenset(
        {"title", "startsAt", "office", "office.email", "office.city", "office.city.slug"}
    )

    columns = EVENT_COLUMNS.columns(paths)

    assert columns == [
        # The event's own row: what is always read, and the selected fields' columns.
        *("host_city", "id", "office", "starts_at", "status", "title_en", "twinning"),
        # The office's, joined, and its city's.
        *("office__city", "office__email", "office__id"),
        *("office__city__id", "office__city__slug"),
    ]


def test_a_field_that_reads_the_whole_row_reads_every_column():
    assert EVENT_COLUMNS.columns(frozenset({"title", "chatRoom", "chatRoom.isOpen"})) is None
