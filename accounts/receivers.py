"""Telling a user's open websockets that their account changed (see ``accounts.realtime``):
saves and deletions of users and refresh tokens, by any path that sends Django's signals (the
services, the admin, a shell). Bulk updates are caught by the models' querysets."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import RefreshToken, User
from .realtime import AccountChange, account_changed, touches_rights


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def user_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and touches_rights(update_fields):
        account_changed(instance.pk, AccountChange.ACCOUNT_CHANGED)


@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
def user_deleted(sender, instance, **kwargs):
    account_changed(instance.pk, AccountChange.ACCOUNT_DELETED)


@receiver(post_save, sender=RefreshToken, dispatch_uid="accounts.refresh_token_saved")
def refresh_token_saved(sender, instance, update_fields=None, **kwargs):
    if instance.revoked_at is not None and (update_fields is None or "revoked_at" in update_fields):
        account_changed(instance.user_id, AccountChange.SESSION_REVOKED)
