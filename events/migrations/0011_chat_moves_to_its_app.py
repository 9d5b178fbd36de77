"""The chat's models leave the events app for the chat app (chat.0001), with their tables and
rows: here they leave the events app's state only, and their content types are relabelled, so
that the admin's permissions, the groups holding them and the admin's log keep pointing at the
same models. No model of the events app refers to a chat model, so no foreign key moves."""

from django.db import migrations

# The chat's models, those that refer to a message first.
MOVED = ("chatreaction", "chatreport", "chatmute", "chatroom", "chatmessage")


def relabel(apps, schema_editor, source: str, target: str) -> None:
    """Give the content types of the moved models from the app ``source`` to ``target``.

    A content type already under ``target`` can only have been made by a run of ``migrate``
    that stopped between chat.0001 and this migration (its post-migrate signal makes one for
    each model in the state): it is a fresh duplicate, holding nothing but the permissions made
    with it, and gives way to the one that has the history (grants, log entries).
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if content_types.filter(app_label=source, model=model).exists():
            content_types.filter(app_label=target, model=model).delete()
            content_types.filter(app_label=source, model=model).update(app_label=target)
    ContentType.objects.clear_cache()


def to_chat(apps, schema_editor):
    relabel(apps, schema_editor, "events", "chat")


def to_events(apps, schema_editor):
    relabel(apps, schema_editor, "chat", "events")


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0010_drop_reason_event_started"),
        ("chat", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay: they are the chat app's now (chat.0001).
            database_operations=[],
            state_operations=[migrations.DeleteModel(name=model) for model in MOVED],
        ),
        migrations.RunPython(to_chat, to_events),
    ]
