"""URL routes: the GraphQL endpoint, the calendar files, the admin, the health probes and
the metrics."""

from django.contrib import admin
from django.urls import path

from core.health import healthz, readyz
from core.metrics import metrics_view
from events.views import event_ics, user_calendar
from schema.views import graphql_view

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("events/<int:pk>.ics", event_ics, name="event-ics"),
    path("calendar/<str:token>.ics", user_calendar, name="user-calendar"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
