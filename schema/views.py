"""The HTTP endpoint of the GraphQL API."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView

from accounts.authentication import AuthenticationError, authenticate_header
from core.i18n import current_language

from .core import response_cache
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

    def get_response(self, request, data, show_graphiql=False):
        """Answer from the response cache when it holds this public read (no parsing,
        validation or execution), else execute and keep the answer if it may be kept."""
        query, variables, operation_name, _ = self.get_graphql_params(request, data)
        if show_graphiql or not isinstance(query, str):
            return super().get_response(request, data, show_graphiql)
        read = response_cache.lookup(
            response_cache.document_hash(query),
            variables,
            operation_name,
            current_language(),
            request.user,
        )
        if read.response is not None:
            return read.response, 200
        self.answered_without_errors = False
        result, status = super().get_response(request, data, show_graphiql)
        if read.storable and status == 200 and self.answered_without_errors:
            response_cache.store(read, self.schema.graphql_schema, query, result.encode())
        return result, status

    def execute_graphql_request(self, *args, **kwargs):
        result = super().execute_graphql_request(*args, **kwargs)
        self.answered_without_errors = result is not None and not result.errors
        return result


def _error_response(message: str, extensions: dict, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": extensions}]}, status=status)


graphql_view = csrf_exempt(TwinningGraphQLView.as_view(graphiql=settings.DEBUG))
