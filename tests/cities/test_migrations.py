"""cities.0006 (agreement links, descriptions, proposals) on a database holding twinnings: it
migrates forward and back, and the twinnings stored before it read as having neither link nor
description. cities.0008 (aliases) rewrites the cities' search documents, and back."""

import pytest
from django.db import connection

from cities.models import City, Twinning, TwinningProposal
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


BEFORE_ALIASES = ("cities", "0007_office_team")
ALIASES = ("cities", "0008_city_aliases")


@pytest.mark.django_db(transaction=True)
def test_aliases_migrate_forward_and_back_rewriting_the_search_documents(city_factory):
    # Given a database from before 0008, with a city's search document of then
    city = city_factory(name_en="Almaty", name_ru="Алматы")
    migrate(BEFORE_ALIASES)
    try:
        assert "aliases" not in columns("cities_city")
        then = models_at(BEFORE_ALIASES).get_model("cities", "City")
        then.objects.filter(pk=city.pk).update(search_document="almaty алматы")

        # When 0008 is applied
        migrate(ALIASES)

        # Then the city has no aliases yet, and a document of names, one a line
        city.refresh_from_db()
        assert city.aliases == []
        assert city.search_document == "\n\x1falmaty\n\x1fалматы\n"
        assert [found.search_rank for found in City.objects.best_matches("almaty")] == [0]

        # When it is unapplied again
        migrate(BEFORE_ALIASES)

        # Then the column is gone and the document is as it was
        assert "aliases" not in columns("cities_city")
        assert then.objects.get(pk=city.pk).search_document == "almaty алматы"
    finally:
        migrate()
