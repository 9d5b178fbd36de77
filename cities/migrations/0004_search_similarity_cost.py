"""What the word similarity of a row costs, told to PostgreSQL's planner (core.search).

pg_trgm declares ``%>`` (word similarity) at the cost of one comparison, when computing it
takes 3 to 30 µs a row (the longer the text and the document, the more): hundreds of times
what the planner assumes. Left with that, it computed the similarity over a whole table, or
walked a list's order index computing it row after row, where the trigram index would have
handed over a few rows. The extension's functions belong to it: their cost is not ours to set.

``search_similarity_cost(document)`` is always true. A search puts it after ``%>``
(``… %> text AND search_similarity_cost(…)``), so that every row a plan would test costs what
the similarity costs, and the planner weighs the trigram index, a walk along the list's order
and a scan as they are. At run time it is called only on the rows where ``%>`` already held,
for under a microsecond each. COST 2500 is 6 of the planner's units: 8 µs, the middle of the
similarities measured, on the scale where a sequential scan of 5,000 events costs 620 units
for 0.8 ms (docs/benchmarks.md, "Text search").

It is declared PARALLEL UNSAFE, which keeps searches out of parallel plans: with the real
price in sight the planner found workers worth starting for a page, and on a server whose
cores are busy with other requests they were not (at 50,000 events, pages of 55 to 93 ms in
parallel against 3 to 8 ms without).

PostgreSQL only: SQLite has no trigrams (there the search is ``LIKE``). The SQL is written out
here, so that this migration keeps creating what it did.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION search_similarity_cost(document text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL UNSAFE COST 2500
AS $$ BEGIN RETURN true; END $$
"""

DROP = "DROP FUNCTION IF EXISTS search_similarity_cost(text)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cities", "0003_twinning_dates_in_window")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
