"""URL routes: the GraphQL endpoint, the calendar files, events' share links and the files
that let them open the app, the page of an invitation to an office's team, the admin, the
health probes and the metrics; with DEBUG, the uploaded pictures (in production the proxy or
the bucket serves them: README, "Images")."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from accounts.views import admin_language
from cities.views import office_invitation
from core.health import healthz, readyz
from core.metrics import metrics_view
from core.url_converters import PrimaryKeyConverter, UrlTokenConverter
from core.well_known import apple_app_site_association, assetlinks
from events.sharing import SHARE_ROUTE
from events.views import event_ics, event_share_page, user_calendar
from graphql_server.http.view import GraphQLHttpView
from schema.schema import schema

# Keys and tokens in paths are checked by their converters: anything else is a 404.
register_converter(PrimaryKeyConverter, "pk")
register_converter(UrlTokenConverter, "token")

# The admin's "View site" link: there is no public web site to go to (the app is the client).
admin.site.site_url = None
# The admin's name as the offices see it, not "Django administration".
admin.site.site_header = _("Twinning: the city offices' workplace")
admin.site.site_title = "Twinning"  # the product's name, the same in every language
admin.site.index_title = _("Events, announcements and your office's team")

urlpatterns = [
    path("graphql/", GraphQLHttpView.as_view(schema=schema), name="graphql"),
    path("events/<pk:pk>.ics", event_ics, name="event-ics"),
    path("calendar/<token:token>.ics", user_calendar, name="user-calendar"),
    # Short, and the same for the event's whole life: its key (events/sharing.py).
    path("e/<pk:pk>", event_share_page, name=SHARE_ROUTE),
    # The same link with a slash after it, as it is sometimes typed, pasted or rewritten, and as
    # the apps' patterns (/e/*) open it too: moved for good to the link, its ?lang= kept.
    path(
        "e/<pk:pk>/",
        require_safe(
            RedirectView.as_view(pattern_name=SHARE_ROUTE, permanent=True, query_string=True)
        ),
        name="event-share-slash",
    ),
    # Where Android and iOS look before opening /e/ links in the app: exact paths, no redirect.
    path(".well-known/assetlinks.json", assetlinks, name="assetlinks"),
    path(
        ".well-known/apple-app-site-association",
        apple_app_site_association,
        name="apple-app-site-association",
    ),
    path("team/join/<token:token>/", office_invitation, name="office-invitation"),
    # Before the admin's own routes, under its path (where the chosen language's cookie lives).
    path("admin/language/", admin_language, name="admin-language"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
# The pictures on the local file system, under MEDIA_URL, with DEBUG only (``static`` adds
# nothing otherwise, or when MEDIA_URL is another server's).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
