"""factory-boy factories for the domain models."""

import datetime
import hashlib

import factory
from django.utils import timezone as django_timezone

from accounts.models import User
from chat.models import ChatMessage, ChatRoom
from cities.models import City, CityOffice, OfficeMembership, Twinning
from events.models import Announcement, Event, Rsvp, RsvpChange
from images.models import Image
from images.variants import EXTENSIONS, PURPOSES, Purpose


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City

    name_en = factory.Sequence(lambda n: f"City {n}")
    country = "KZ"
    latitude = 43.2389
    longitude = 76.8897
    timezone = "Asia/Almaty"


class TwinningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Twinning

    city_a = factory.SubFactory(CityFactory)
    city_b = factory.SubFactory(CityFactory, country="PK", timezone="Asia/Karachi")
    kind = Twinning.Kind.SISTER_CITY
    status = Twinning.Status.ACTIVE


class CityOfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CityOffice

    city = factory.SubFactory(CityFactory)
    name_en = factory.LazyAttribute(lambda office: f"{office.city.name_en} international office")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title_en = factory.Sequence(lambda n: f"Event {n}")
    category = Event.Category.CULTURAL
    host_city = factory.SubFactory(CityFactory)
    office = factory.SubFactory(CityOfficeFactory, city=factory.SelfAttribute("..host_city"))
    starts_at = factory.LazyFunction(lambda: django_timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + datetime.timedelta(hours=2))
    timezone = factory.SelfAttribute("host_city.timezone")
    venue_name = "Central Concert Hall"
    latitude = factory.SelfAttribute("host_city.latitude")
    longitude = factory.SelfAttribute("host_city.longitude")
    status = Event.Status.ANNOUNCED
    announced_at = factory.LazyFunction(django_timezone.now)


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    office = factory.SubFactory(CityOfficeFactory)
    city = factory.SelfAttribute("office.city")
    title_en = factory.Sequence(lambda n: f"Announcement {n}")
    body_en = "News from the city office."
    published_at = factory.LazyFunction(lambda: django_timezone.now() - datetime.timedelta(hours=1))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficeMembership

    user = factory.SubFactory(UserFactory)
    office = factory.SubFactory(CityOfficeFactory)
    role = OfficeMembership.Role.EDITOR


class ChatMessageFactory(factory.django.DjangoModelFactory):
    """A message numbered after the event's last one (the room's counter kept in step), as
    the send service would number it."""

    class Meta:
        model = ChatMessage

    event = factory.SubFactory(EventFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Message {n}")
    client_id = factory.Sequence(lambda n: f"client-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        event = kwargs["event"]
        room, _ = ChatRoom.objects.get_or_create(event=event)
        room.last_seq += 1
        room.save(update_fields=["last_seq"])
        kwargs.setdefault("seq", room.last_seq)
        return super()._create(model_class, *args, **kwargs)


class RsvpFactory(factory.django.DjangoModelFactory):
    """An RSVP as stored, without its change record or the event's count (``set_rsvp`` writes
    those): for rows from before the changes were recorded, or read as they are."""

    class Meta:
        model = Rsvp

    user = factory.SubFactory(UserFactory)
    event = factory.SubFactory(EventFactory)
    status = Rsvp.Status.GOING


class RsvpChangeFactory(factory.django.DjangoModelFactory):
    """One recorded change of an RSVP at a chosen instant, for the counts over time."""

    class Meta:
        model = RsvpChange

    event = factory.SubFactory(EventFactory)
    from_status = ""
    to_status = Rsvp.Status.GOING
    at = factory.LazyFunction(django_timezone.now)


def _stored_variants(image) -> dict:
    """Variants as ``images.services.store`` records them, for a row without files: enough for
    what the API answers (URLs, sizes), not to fetch."""
    variants = {}
    for spec in PURPOSES[image.purpose].variants:
        square = PURPOSES[image.purpose].square
        side, height = spec.box, spec.box if square else spec.box * 3 // 4
        name = f"images/{image.digest[:2]}/{image.digest[:32]}-{spec.variant.lower()}"
        variants[spec.variant.value] = {
            "name": f"{name}.{EXTENSIONS[spec.format]}",
            "width": side,
            "height": height,
            "format": spec.format.value,
            "bytes": 1000,
        }
    return variants


class ImageFactory(factory.django.DjangoModelFactory):
    """A stored picture's row, without files (``images.services.store`` writes both)."""

    class Meta:
        model = Image

    digest = factory.Sequence(lambda n: hashlib.sha256(f"picture {n}".encode()).hexdigest())
    purpose = Purpose.EVENT
    variants = factory.LazyAttribute(_stored_variants)
