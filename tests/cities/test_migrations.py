"""cities.0006 (agreement links, descriptions, proposals) on a database holding twinnings: it
migrates forward and back, and the twinnings stored before it read as having neither link nor
description."""

import pytest
from django.db import connection

from cities.models import Twinning, TwinningProposal
from tests.migrating import migrate, models_at

BEFORE = ("cities", "0005_texts_that_show")
AFTER = ("cities", "0006_twinning_proposals")


def columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_proposals_migrate_forward_and_back(city_factory, office_factory):
    # Given a database from before 0006, with a twinning written by the models of then
    aktau, karachi = city_factory(name_en="Aktau"), city_factory(name_en="Karachi", country="PK")
    office = office_factory(city=aktau)
    migrate(BEFORE)
    try:
        assert "agreement_url" not in columns("cities_twinning")
        assert "cities_twinningproposal" not in tables()
        then = models_at(BEFORE)
        old = then.get_model("cities", "Twinning").objects.create(
            city_a_id=aktau.pk, city_b_id=karachi.pk, kind="SISTER_CITY", status="ACTIVE"
        )

        # When 0006 is applied
        migrate(AFTER)

        # Then the twinning has no link and no description, and proposals can be stored
        twinning = Twinning.objects.get(pk=old.pk)
        assert twinning.agreement_url == ""
        assert [twinning.description_en, twinning.description_ur] == ["", ""]
        TwinningProposal.objects.create(
            twinning=twinning,
            office=office,
            kind="SISTER_PORT",
            status_proposed="ACTIVE",
            based_on={"kind": "SISTER_CITY"},
        )

        # When it is unapplied again
        migrate(BEFORE)

        # Then the columns and the proposals' table are gone, and the twinning stays
        assert not {"agreement_url", "description_en"} & columns("cities_twinning")
        assert "cities_twinningproposal" not in tables()
        assert then.get_model("cities", "Twinning").objects.filter(pk=old.pk).exists()
    finally:
        migrate()
