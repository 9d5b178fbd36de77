"""Every field of the API says what the response cache may do with it (schema/caching.py,
with each package's declarations next to its types): a field added without a decision fails
here, rather than being silently never kept, or kept when it should not be."""

from graphql_server.cache_policy import Caching, field_policy, unclassified
from schema.schema import schema


def test_every_field_of_every_type_is_classified_for_the_response_cache():
    assert unclassified(schema.graphql_schema) == [], (
        "Declare these fields public (with the data areas they read), the viewer's, or not "
        "cached, with graphql_server.cache_policy.cache_policy next to their types."
    )


def test_what_depends_on_the_viewer_is_never_public():
    fields = schema.graphql_schema.type_map

    assert field_policy(fields["Query"].fields["me"]).caching is Caching.VIEWER
    assert field_policy(fields["Event"].fields["viewerRsvp"]).caching is Caching.OWN
    assert field_policy(fields["Viewer"].fields["email"]).caching is Caching.VIEWER
    assert field_policy(fields["ChatReactionCount"].fields["reactedByMe"]).caching in (
        Caching.VIEWER,
        Caching.NOT_CACHED,
    )
