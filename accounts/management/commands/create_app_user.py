"""``manage.py create_app_user``: an ordinary app user and a token to call the API as them."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services, tokens
from accounts.display_names import shown_name, tag_of


class Command(BaseCommand):
    help = (
        "Create, or find, an ordinary app user (no password, no staff rights) by e-mail, and "
        "print a new sign-in for them: an access token to send as 'Authorization: Bearer "
        "<token>' (from the app, GraphiQL or curl) and a refresh token for tokenRefresh. For "
        "the embedded default, where the app cannot sign in with Firebase. Safe to run again: "
        "the same user, a new sign-in (earlier ones stay valid until they expire or are revoked)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's e-mail address: who they are here.")
        parser.add_argument(
            "--name",
            help="Their display name in the chat (the rules of profileUpdate); an existing "
            "user's is changed.",
        )
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print one JSON object (userId, email, displayName, nameTag, accessToken, "
            "accessTokenExpiresAt, refreshToken) instead of text, for scripts.",
        )

    def handle(self, *args, email, name, as_json, **options):
        changes = {} if name is None else {"display_name": name}
        try:
            user, created = services.ensure_app_user(email, **changes)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        pair = tokens.issue_tokens(user)
        if as_json:
            self.stdout.write(_json(user, pair))
            return
        self.stdout.write(
            f"{'Created' if created else 'Found'} app user {user.email} (id {user.pk}), "
            f'shown in the chat as "{shown_name(user.display_name, user.pk)}" '
            f"(tag {tag_of(user.pk)})."
        )
        self.stdout.write(
            f"Access token, until {pair.access_expires_at.isoformat()} "
            "(send as 'Authorization: Bearer <token>'):"
        )
        self.stdout.write(pair.access_token)
        self.stdout.write("Refresh token (tokenRefresh gives a new pair; good once):")
        self.stdout.write(pair.refresh_token)


def _json(user, pair) -> str:
    return json.dumps(
        {
            "userId": user.pk,
            "email": user.email,
            "displayName": user.display_name,
            "nameTag": tag_of(user.pk),
            "accessToken": pair.access_token,
            "accessTokenExpiresAt": pair.access_expires_at.isoformat(),
            "refreshToken": pair.refresh_token,
        },
        ensure_ascii=False,
    )
