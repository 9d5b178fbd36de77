"""The push outbox's models (Notification, Delivery, DeviceTopic) belong to the notifications
app from now on (``notifications.0001_initial``): they leave the events app's state, their
tables and rows stay as they are, and their content types (and so the permissions and admin
log entries that point at them) become the notifications app's."""

from django.db import migrations

MODELS = ("notification", "delivery", "devicetopic")


def move_content_types(source: str, target: str):
    """Give the content types of MODELS from app ``source`` to ``target``. One that ``target``
    already has (made by an earlier migrate in between) is left to
    ``remove_stale_contenttypes``, as Django does when it renames a model."""

    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        content_types = ContentType.objects.using(schema_editor.connection.alias)
        taken = content_types.filter(app_label=target, model__in=MODELS).values_list(
            "model", flat=True
        )
        content_types.filter(app_label=source, model__in=MODELS).exclude(
            model__in=list(taken)
        ).update(app_label=target)
        ContentType.objects.clear_cache()

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0011_chat_moves_to_its_app"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay: nothing is dropped.
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="devicetopic", name="device"),
                migrations.RemoveField(model_name="notification", name="announcement"),
                migrations.RemoveField(model_name="notification", name="event"),
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="DeviceTopic"),
                migrations.DeleteModel(name="Notification"),
            ],
        ),
        migrations.RunPython(
            move_content_types("events", "notifications"),
            move_content_types("notifications", "events"),
        ),
    ]
