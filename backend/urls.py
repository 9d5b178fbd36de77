"""URL routes: the GraphQL endpoint, the admin and the health probes."""

from django.contrib import admin
from django.urls import path

from core.health import healthz, readyz
from schema.views import graphql_view

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
