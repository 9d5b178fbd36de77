"""The planned execution answers exactly what graphql-core's own does: data, errors, their
paths and messages, for the app's schema and for the cases the app's data never produces."""

import datetime

import graphene
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation
from graphene import relay
from graphene_django import DjangoObjectType
from graphene_django.registry import Registry
from graphene_django.settings import graphene_settings
from graphene_django.views import instantiate_middleware
from graphql import ExecutionContext, execute, is_non_null_type, parse
from graphql_relay import to_global_id

from cities.models import City
from events.models import Event
from graphql_server.execution import PlannedExecutionContext
from schema.schema import schema
from tests.factories import MembershipFactory

DOCUMENTS = {
    "feed": """
      query Feed($first: Int) {
        events(first: $first) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node {
            id title summary category status startsAt localStartsAt localEndsAt timeZone
            venueName latitude attendeeCount viewerRsvp distanceKm __typename
            hostCity { id name slug country { code name } timeZone partners { name } }
            office { name city { name } }
            twinning { id kind status cityA { name } cityB { name } cities { slug } }
          } }
        }
      }""",
    "fragments, aliases and directives": """
      fragment Card on Event { heading: title when: localStartsAt place: hostCity { name } }
      query ($first: Int, $skip: Boolean!) {
        events(first: $first) {
          edges { node { ...Card ... on Event { status } venueName @skip(if: $skip) } }
        }
        languages { code name direction }
      }""",
    "history and co-hosts (errors for most viewers)": """
      query ($first: Int) {
        events(first: $first, filter: {includeDrafts: true}) {
          edges { node { title status history { action } cohosts { status } } }
        }
      }""",
    "one event, missing and malformed ids": """
      query ($id: ID!) {
        found: event(id: $id) { title twinning { partner(of: $id) { name } } }
        missing: event(id: "RXZlbnQ6OTk5OTk5") { title }
        malformed: event(id: "nope") { title }
      }""",
    "twinnings with their events": """
      query ($first: Int) {
        twinnings(first: $first) {
          edges { node { kind cities { name } events(first: 2) { title hostCity { name } } } }
        }
        cities(first: $first) { edges { node { name twinnings { kind } offices { name } } } }
      }""",
    "nodes": """
      query ($id: ID!) {
        node(id: $id) { id __typename ... on Event { title hostCity { name } } }
      }""",
}


@pytest.fixture
def catalogue(event_factory, twinning_factory, office_factory):
    twinnings = [twinning_factory(city_a__name_ru=f"Город {n}") for n in range(3)]
    events = []
    for n, twinning in enumerate(twinnings):
        office = office_factory(city=twinning.city_a)
        for status in (Event.Status.ANNOUNCED, Event.Status.DRAFT, Event.Status.CANCELLED):
            events.append(
                event_factory(
                    host_city=twinning.city_a,
                    office=office,
                    twinning=twinning if n else None,
                    title_ru=f"Событие {n}" if n != 1 else "",
                    category=Event.Category.SPORTS if n else Event.Category.CULTURAL,
                    status=status,
                )
            )
    return events


def app_middleware():
    """The GraphQL middleware the HTTP view runs."""
    return list(instantiate_middleware(graphene_settings.MIDDLEWARE))


def run(document, variables, user, context_class, middleware=None):
    request = RequestFactory().post("/graphql/")
    request.user = user
    with translation.override("ru"):
        result = execute(
            schema.graphql_schema,
            parse(document),
            context_value=request,
            variable_values=variables,
            execution_context_class=context_class,
            middleware=app_middleware() if middleware is None else middleware,
        )
    errors = [(e.message, e.path, e.locations) for e in result.errors or ()]
    return result.data, sorted(errors, key=repr)


@pytest.mark.parametrize("name", DOCUMENTS)
@pytest.mark.parametrize("viewer", ["anonymous", "office member"])
def test_planned_execution_answers_as_graphql_core(catalogue, user_factory, name, viewer):
    user = AnonymousUser()
    if viewer == "office member":
        user = user_factory()
        MembershipFactory(user=user, office=catalogue[0].office)
    variables = {"first": 20, "skip": False, "id": to_global_id("Event", catalogue[0].pk)}

    planned = run(DOCUMENTS[name], variables, user, PlannedExecutionContext)
    general = run(DOCUMENTS[name], variables, user, ExecutionContext)

    assert planned == general
    assert planned[0] is not None


# --- What the app's data never does: a small schema that misbehaves on purpose ------------------

registry = Registry()


class Place(DjangoObjectType):
    name = graphene.String(required=True)

    class Meta:
        model = City
        fields = ("id", "slug")
        interfaces = (relay.Node,)
        registry = registry


class Broken(graphene.ObjectType):
    required_text = graphene.String(required=True)
    optional_text = graphene.String()
    number = graphene.Int()
    raises = graphene.String()
    place = graphene.Field(Place)
    required_place = graphene.Field(Place, required=True)
    places = graphene.List(graphene.NonNull(Place))
    maybe_places = graphene.List(Place)
    when = graphene.DateTime()


class Thing:
    """Attributes read by graphene's default resolver, some of them wrong for their type."""

    def __init__(self, city, other_city):
        self.required_text = None
        self.optional_text = "ok"
        self.number = "not a number"
        self.place = other_city
        self.required_place = object()
        self.places = [city, None, city]
        self.maybe_places = [city, None, "not a city"]
        self.when = "not a time"

    @property
    def raises(self):
        raise ValueError("a property that fails")


class Query(graphene.ObjectType):
    broken = graphene.Field(Broken)
    brokens = graphene.List(Broken)

    @staticmethod
    def resolve_broken(root, info):
        return info.context

    @staticmethod
    def resolve_brokens(root, info):
        return [info.context, info.context]


broken_schema = graphene.Schema(query=Query)


class NotesFailures:
    """A middleware declaring plain fields untouched, as the app's do, that notes on the
    context whether a resolver raised or left a required field null: what the planned path
    must hand back to the middleware."""

    PLAIN_FIELDS_UNTOUCHED = True

    def resolve(self, next, root, info, **arguments):
        try:
            result = next(root, info, **arguments)
        except Exception:
            info.context.failed = True
            raise
        if result is None and is_non_null_type(info.return_type):
            info.context.failed = True
        return result


BROKEN = [
    "{ broken { requiredText } }",
    "{ broken { optionalText number raises when } }",
    "{ broken { place { id name slug } optionalText } brokens { requiredText } }",
    "{ broken { requiredPlace { name } } }",
    "{ broken { places { name } } }",
    "{ broken { maybePlaces { name } } }",
    "{ brokens { optionalText places { slug } } }",
    "{ brokens { optionalText requiredText } }",
]


@pytest.mark.parametrize("document", BROKEN)
def test_errors_are_graphql_cores(city_factory, document):
    thing = Thing(city_factory(name_en="Aktau"), city_factory(name_en="Gwadar"))

    def answer(context_class):
        thing.failed = False
        result = execute(
            broken_schema.graphql_schema,
            parse(document),
            context_value=thing,
            execution_context_class=context_class,
            middleware=[NotesFailures()],
        )
        errors = [(e.message, e.path, e.locations) for e in result.errors or ()]
        # What the middleware noted: whether a resolver failed or left a required field null.
        return result.data, errors, thing.failed

    planned = answer(PlannedExecutionContext)

    assert planned == answer(ExecutionContext)
    assert planned[1], "each document here makes at least one error"


def test_times_and_translations_are_read_per_request(gql, event_factory, city_factory):
    almaty = city_factory(name_en="Almaty", name_ru="Алматы", timezone="Asia/Almaty")
    event_factory(
        host_city=almaty,
        title_en="Nauryz",
        title_ru="Наурыз",
        starts_at=datetime.datetime(2031, 3, 21, 6, tzinfo=datetime.UTC),
    )
    query = "{ events { edges { node { title localStartsAt hostCity { name } } } } }"

    russian = gql(query, language="ru")["data"]["events"]["edges"][0]["node"]
    english = gql(query, language="en")["data"]["events"]["edges"][0]["node"]

    assert russian == {
        "title": "Наурыз",
        "localStartsAt": "2031-03-21T11:00:00+05:00",
        "hostCity": {"name": "Алматы"},
    }
    assert english["title"] == "Nauryz"
    assert english["hostCity"] == {"name": "Almaty"}


class CountingContext(PlannedExecutionContext):
    """Counts the fields that took graphql-core's general path."""

    general = 0

    def execute_field(self, *args):
        CountingContext.general += 1
        return super().execute_field(*args)


FEED = """
  { events(first: 20) { edges { node {
      id title category localStartsAt venueName
      hostCity { name } twinning { kind cityA { name } cityB { name } }
  } } } }"""


def test_the_feed_takes_the_planned_path_with_the_apps_middleware(catalogue):
    CountingContext.general = 0

    data, errors = run(FEED, {}, AnonymousUser(), CountingContext)

    assert not errors
    assert len(data["events"]["edges"]) == 6
    # Only the root field; every field of the six events and of their cities and twinnings is
    # read by its plan.
    assert CountingContext.general == 1


class Timing:
    """A middleware that has not said it leaves plain fields alone."""

    def resolve(self, next, root, info, **arguments):
        return next(root, info, **arguments)


def test_other_middleware_sees_every_field(catalogue):
    CountingContext.general = 0

    planned = run(FEED, {}, AnonymousUser(), CountingContext, [*app_middleware(), Timing()])

    assert planned == run(FEED, {}, AnonymousUser(), ExecutionContext)
    assert CountingContext.general > 6 * 10
