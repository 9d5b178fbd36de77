"""The HTTP endpoint of the GraphQL API."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView

from accounts.authentication import AuthenticationError, authenticate_header

from .core.execution import PlannedExecutionContext

# Bodies a browser form can send across sites without a CORS preflight.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


class TwinningGraphQLView(GraphQLView):
    """graphene-django's view, authenticating by bearer token and refusing request bodies
    that a cross-site form could send.

    The API authenticates by bearer token rather than cookie, so Django's CSRF token does
    not apply; accepting only JSON (and application/graphql) bodies keeps a hostile page
    from posting operations with a signed-in admin's session cookie.
    """

    # Per-selection-set plans instead of graphql-core's per-field walk: the same results.
    execution_context_class = PlannedExecutionContext

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            return _error_response(
                "Send operations as application/json.", {"code": "UNSUPPORTED_MEDIA_TYPE"}, 415
            )
        # Only the bearer token identifies the caller; the admin's session cookie does not.
        try:
            request.user = authenticate_header(request.headers.get("Authorization"))
        except AuthenticationError as error:
            response = _error_response(
                error.message, {"code": "UNAUTHENTICATED", "reason": error.code}, 401
            )
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        return super().dispatch(request, *args, **kwargs)


def _error_response(message: str, extensions: dict, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": extensions}]}, status=status)


graphql_view = csrf_exempt(TwinningGraphQLView.as_view(graphiql=settings.DEBUG))
