"""The chat's models, moved here from the events app with their tables: this migration only
tells Django's state that they are now the chat's. The tables keep their names (``events_chat…``,
the models' ``db_table``) and every row; events.0011 takes the models out of the events app's
state and gives their content types to this app."""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.validators


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('events', '0010_drop_reason_event_started'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist: created by events.0004 and changed since by events' migrations.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ChatRoom',
                    fields=[
                        ('event', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='chat_room', serialize=False, to='events.event')),
                        ('last_seq', models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'events_chatroom',
                    },
                ),
                migrations.CreateModel(
                    name='ChatMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField()),
                        ('body', models.TextField(blank=True, validators=[core.validators.validate_visible])),
                        ('client_id', models.CharField(max_length=64)),
                        ('reactions', models.JSONField(blank=True, default=dict)),
                        ('revision', models.PositiveIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('edited_at', models.DateTimeField(blank=True, null=True)),
                        ('deleted_at', models.DateTimeField(blank=True, null=True)),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('deleted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chat_messages', to='events.event')),
                        ('reply_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='chat.chatmessage')),
                    ],
                    options={
                        'db_table': 'events_chatmessage',
                        'ordering': ['event', 'seq'],
                    },
                ),
                migrations.CreateModel(
                    name='ChatMute',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('until', models.DateTimeField(validators=[core.validators.validate_instant])),
                        ('reason', models.CharField(blank=True, max_length=300, validators=[core.validators.validate_visible])),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chat_mutes', to='events.event')),
                        ('muted_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'events_chatmute',
                    },
                ),
                migrations.CreateModel(
                    name='ChatReaction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('emoji', models.CharField(max_length=16)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='chat.chatmessage')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'events_chatreaction',
                    },
                ),
                migrations.CreateModel(
                    name='ChatReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(max_length=500, validators=[core.validators.validate_visible])),
                        ('status', models.CharField(choices=[('OPEN', 'Open'), ('DISMISSED', 'Dismissed'), ('MESSAGE_DELETED', 'Message deleted')], default='OPEN', max_length=20)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chat_reports', to='events.event')),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='chat.chatmessage')),
                        ('reporter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'events_chatreport',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='chatmessage',
                    constraint=models.UniqueConstraint(fields=('event', 'seq'), name='chat_message_unique_seq'),
                ),
                migrations.AddConstraint(
                    model_name='chatmessage',
                    constraint=models.UniqueConstraint(fields=('event', 'author', 'client_id'), name='chat_message_unique_client_id'),
                ),
                migrations.AddConstraint(
                    model_name='chatmute',
                    constraint=models.UniqueConstraint(fields=('event', 'user'), name='chat_mute_unique_user'),
                ),
                migrations.AddConstraint(
                    model_name='chatmute',
                    constraint=models.CheckConstraint(condition=models.Q(('until__gte', datetime.datetime(2000, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)), ('until__lt', datetime.datetime(2100, 1, 1, 0, 0, tzinfo=datetime.timezone.utc))), name='chat_mute_until_in_window', violation_error_code='DATE_OUT_OF_RANGE', violation_error_message='Give a time from 2000-01-01T00:00:00Z up to, but not including, 2100-01-01T00:00:00Z.'),
                ),
                migrations.AddConstraint(
                    model_name='chatreaction',
                    constraint=models.UniqueConstraint(fields=('message', 'user', 'emoji'), name='chat_reaction_unique'),
                ),
                migrations.AddIndex(
                    model_name='chatreport',
                    index=models.Index(fields=['event', 'status'], name='chat_report_event_status'),
                ),
                migrations.AddConstraint(
                    model_name='chatreport',
                    constraint=models.UniqueConstraint(fields=('message', 'reporter'), name='chat_report_unique_reporter'),
                ),
            ],
        ),
    ]
