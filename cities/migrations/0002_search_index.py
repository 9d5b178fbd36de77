from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from core.migration_operations import trigram_index


class Migration(migrations.Migration):
    dependencies = [("cities", "0001_initial")]

    operations = [
        # Skipped on databases other than PostgreSQL.
        TrigramExtension(),
        trigram_index("cities_city", "search_document", "cities_city_search_trgm"),
    ]
