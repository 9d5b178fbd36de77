"""A twinning is stored once whatever the order its cities are named in."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cities.models import Twinning


def test_b_a_is_stored_as_a_b(city_factory):
    first, second = city_factory(), city_factory()

    twinning = Twinning.objects.create(city_a=second, city_b=first)

    twinning.refresh_from_db()
    assert (twinning.city_a, twinning.city_b) == (first, second)


@pytest.mark.parametrize("reverse", [False, True], ids=["same order", "reverse order"])
def test_a_pair_cannot_be_stored_twice(city_factory, reverse):
    first, second = city_factory(), city_factory()
    Twinning.objects.create(city_a=first, city_b=second)

    with pytest.raises(IntegrityError), transaction.atomic():
        if reverse:
            Twinning.objects.create(city_a=second, city_b=first)
        else:
            Twinning.objects.create(city_a=first, city_b=second)

    assert Twinning.objects.count() == 1


def test_the_database_refuses_an_unordered_pair_written_around_the_model(city_factory):
    first, second = city_factory(), city_factory()
    Twinning.objects.create(city_a=first, city_b=second)

    with pytest.raises(IntegrityError), transaction.atomic():
        Twinning.objects.bulk_create([Twinning(city_a=second, city_b=first)])


def test_a_city_cannot_twin_with_itself(city_factory):
    city = city_factory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Twinning.objects.create(city_a=city, city_b=city)
    with pytest.raises(ValidationError) as error:
        Twinning(city_a=city, city_b=city).full_clean()
    assert error.value.error_dict["__all__"][0].code == "SAME_CITY"


def test_validation_of_a_reversed_pair_reports_the_existing_twinning(city_factory):
    first, second = city_factory(), city_factory()
    Twinning.objects.create(city_a=first, city_b=second)

    with pytest.raises(ValidationError):
        Twinning(city_a=second, city_b=first).full_clean()


def test_between_finds_a_pair_in_either_order(twinning_factory):
    twinning = twinning_factory()

    assert Twinning.objects.between(twinning.city_b, twinning.city_a).get() == twinning
    assert Twinning.objects.between(twinning.city_a, twinning.city_b).get() == twinning
    assert twinning.partner_of(twinning.city_b) == twinning.city_a
