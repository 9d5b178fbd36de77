"""The registry of personal data (accounts.personal_data): every model of every installed app that
refers to a person, or has a personal column, says what deleting an account does to it and what
the export gives of it; a model added without saying so fails here (and stops the start-up)."""

import dataclasses

import pytest
from django.apps import apps
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from accounts import personal_data
from accounts.models import Device, User
from accounts.personal_data import Export, problems

PROJECT_APPS = {"accounts", "cities", "events", "chat", "notifications", "graphql_server"}


def test_every_model_of_every_installed_app_is_declared_whole():
    # Given every model of every installed app (the project's and Django's own)
    walked = {model._meta.label for model in apps.get_models(include_auto_created=True)}
    project = {
        model._meta.label
        for config in apps.get_app_configs()
        if config.label in PROJECT_APPS
        for model in config.get_models(include_auto_created=True)
    }
    assert project <= walked and "chat.ChatMessage" in walked

    # Then none that refers to a person, or has a personal column, is left out
    assert problems() == []


def test_the_registry_covers_every_reference_to_the_user_model():
    # Every foreign key to a user, in any installed app, has its declared fate.
    declared = {entry.model: entry for entry in personal_data.entries()}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                entry = declared.get(model._meta.label)
                assert entry is not None, model._meta.label
                assert field.name in entry.references, f"{model._meta.label}.{field.name}"


def test_the_system_check_reports_what_is_missing(monkeypatch):
    monkeypatch.setattr(
        personal_data,
        "_REGISTRY",
        {k: v for k, v in personal_data._REGISTRY.items() if k != "chat.ChatMute"},
    )

    errors = checks.run_checks(tags=[checks.Tags.models])

    assert [(error.id, error.msg) for error in errors if error.id == "accounts.E002"] == [
        ("accounts.E002", "chat.ChatMute: refers to a person (user, muted_by) but is not declared")
    ]


@isolate_apps("chat")
def test_a_model_added_later_that_refers_to_a_person_fails():
    class UserBlock(models.Model):
        blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
        blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "chat"

        def __str__(self):
            return "a model added later"

    class DeviceNote(models.Model):
        # Through a model whose rows go with the account: a device.
        device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "chat"

        def __str__(self):
            return "a model added later"

    class Waitlist(models.Model):
        contact_email = models.EmailField()

        class Meta:
            app_label = "chat"

        def __str__(self):
            return "a model added later"

    found = problems(personal_data._REGISTRY, [UserBlock, DeviceNote, Waitlist])

    assert found == [
        "chat.UserBlock: refers to a person (blocker, blocked) but is not declared",
        "chat.DeviceNote: refers to a person (device) but is not declared",
        "chat.Waitlist: has personal columns (contact_email) but is not declared",
    ]


def replaced(label, **changes):
    """The registry with the entry of ``label`` changed."""
    registry = dict(personal_data._REGISTRY)
    registry[label] = dataclasses.replace(registry[label], **changes)
    return registry


def test_a_reference_left_out_of_a_declared_model_fails():
    entry = personal_data._REGISTRY["chat.ChatMute"]
    registry = replaced("chat.ChatMute", references={"user": entry.references["user"]})

    assert problems(registry) == [
        "chat.ChatMute.muted_by: refers to a person, and the entry does not say what deletion "
        "does to it"
    ]


def test_a_column_the_export_does_not_account_for_fails():
    # As a column added later to an exported model (an avatar on the profile) would.
    entry = personal_data._REGISTRY["accounts.User"]
    export = dataclasses.replace(
        entry.export, fields=tuple(f for f in entry.export.fields if f != "display_name")
    )

    assert problems(replaced("accounts.User", export=export)) == [
        "accounts.User.display_name: the export neither gives it, nor redacts it, nor says why "
        "not (export(..., omitted={...}))"
    ]


@pytest.mark.parametrize(
    ("label", "references", "expected"),
    [
        (
            "chat.ChatMute",
            {"user": personal_data.anonymise(), "muted_by": personal_data.anonymise()},
            "chat.ChatMute: 'user' is anonymised, so it must be a nullable key of the model itself",
        ),
        (
            "chat.ChatMute",
            {"event": personal_data.delete(), "muted_by": personal_data.anonymise()},
            "chat.ChatMute: 'event' does not lead to the user",
        ),
        (
            "chat.ChatMessage",
            {
                "author": personal_data.anonymise(client_id="", pseudonym="client_id"),
                "deleted_by": personal_data.anonymise(),
            },
            "chat.ChatMessage: 'client_id' takes the pseudonym, so it must be a nullable UUID "
            "column of the model",
        ),
        (
            "chat.ChatMessage",
            {
                "author": personal_data.anonymise(pseudonym="author_alias"),
                "deleted_by": personal_data.anonymise(),
            },
            "chat.ChatMessage: 'author_alias' takes the pseudonym, so it must be a nullable UUID "
            "column of the model",
        ),
    ],
)
def test_a_declaration_that_cannot_be_carried_out_fails(label, references, expected):
    found = problems(replaced(label, references=references))

    assert expected in found


def test_two_models_cannot_give_one_section():
    entry = personal_data._REGISTRY["chat.ChatMute"]
    export = dataclasses.replace(entry.export, section="chatMessages")

    assert problems(replaced("chat.ChatMute", export=export)) == [
        "the export's section 'chatMessages' is given by chat.ChatMessage, chat.ChatMute"
    ]


def test_a_model_is_registered_once():
    with pytest.raises(Exception, match="declared twice"):
        personal_data.register("chat.ChatMute", export=personal_data.not_exported("twice"))


def test_the_export_of_every_declared_model_reads_only_what_it_has():
    # Each export section's lookups are real (the check builds each query without running it).
    for entry in personal_data.entries():
        if isinstance(entry.export, Export):
            entry.model_class()._default_manager.values(*entry.export.fields)
