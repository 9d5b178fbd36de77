from django.db import migrations

from core.migration_operations import trigram_index


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial"), ("cities", "0002_search_index")]

    operations = [
        trigram_index("events_event", "search_document", "events_event_search_trgm"),
    ]
