"""The HTTP endpoint of the GraphQL API."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView

# Bodies a browser form can send across sites without a CORS preflight.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


class TwinningGraphQLView(GraphQLView):
    """graphene-django's view, refusing request bodies that a cross-site form could send.

    The API authenticates by bearer token rather than cookie, so Django's CSRF token does
    not apply; accepting only JSON (and application/graphql) bodies keeps a hostile page
    from posting operations with a signed-in admin's session cookie.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            return JsonResponse(
                {
                    "errors": [
                        {
                            "message": "Send operations as application/json.",
                            "extensions": {"code": "UNSUPPORTED_MEDIA_TYPE"},
                        }
                    ]
                },
                status=415,
            )
        return super().dispatch(request, *args, **kwargs)


graphql_view = csrf_exempt(TwinningGraphQLView.as_view(graphiql=settings.DEBUG))
