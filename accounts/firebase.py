"""Signing in with Firebase Authentication: verifying the app's ID tokens and finding (or, on
first sight, creating) the user each one belongs to.

The mobile app signs in with Firebase and sends its ID token; the token's signature, expiry,
audience and issuer are checked by firebase-admin against Google's published certificates, so
no verification logic of our own sits between a token and a user.

In development the app may sign in against Firebase's Auth emulator instead
(``FIREBASE_AUTH_EMULATOR_HOST``, honoured by firebase-admin itself). The emulator's ID tokens
are unsigned (``"alg": "none"``) and firebase-admin then checks no signature, of any token, and
no expiry either: such tokens are taken only with ``DEBUG`` on (``emulator_in_use``; the
start-up check ``accounts.E001`` refuses the variable without it), and their expiry is checked
here, so that an app learns to renew its token against the emulator as against Firebase.
"""

import datetime
import logging
import os
import threading
import time
from enum import StrEnum

import firebase_admin
import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop
from firebase_admin import auth, credentials
from google.auth.credentials import AnonymousCredentials

from accounts import deletion
from accounts.display_names import name_from_profile
from accounts.error_codes import AccountErrorCode
from accounts.models import User

logger = logging.getLogger(__name__)

# A name of our own, so this app never clashes with another firebase-admin app in the process.
APP_NAME = "twinning-auth"


class FirebaseAuthErrorCode(StrEnum):
    """Why signing in with Firebase failed; the values are what the API reports as ``code``.
    A situation that the backend's own tokens meet too has their code (``AccountErrorCode``):
    an app reads one vocabulary, whichever kind of token it sent."""

    TOKEN_EXPIRED = AccountErrorCode.TOKEN_EXPIRED.value
    INVALID_TOKEN = AccountErrorCode.INVALID_TOKEN.value
    USER_DISABLED = "USER_DISABLED"
    FIREBASE_UNAVAILABLE = "FIREBASE_UNAVAILABLE"
    FIREBASE_NOT_CONFIGURED = "FIREBASE_NOT_CONFIGURED"
    # A token of a sign-in made before its account was deleted (accounts.deletion).
    ACCOUNT_DELETED = "ACCOUNT_DELETED"


class FirebaseAuthError(Exception):
    """Signing in with a Firebase ID token failed.

    ``code`` is a ``FirebaseAuthErrorCode`` (equal to its upper-case string), for the API to pass
    on to the client; ``message`` is for people. The firebase-admin error, when there is one, is
    the ``__cause__``, for logs only: its text is not meant for clients.
    """

    def __init__(self, code: FirebaseAuthErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


INVALID = gettext_noop("The sign-in token is not valid.")
# Google's issuer of Firebase ID tokens, followed by the project's id.
FIREBASE_ISSUER = "https://securetoken.google.com/"


_app = None
_app_lock = threading.Lock()


def _credential():
    """The service account when one is configured, else a credential that never calls Google.

    Verifying ID tokens needs only the project id and the public certificates. Application
    Default Credentials would be looked up as soon as the auth client is built, probing the
    metadata server and failing wherever none are set up, so they are not the fallback.
    """
    if settings.FIREBASE_CREDENTIALS:
        return credentials.Certificate(settings.FIREBASE_CREDENTIALS)
    return AnonymousCredentials()


def _use_cert_url(app: firebase_admin.App, cert_url: str) -> None:
    """Fetch the app's ID-token certificates from ``cert_url`` instead of Google's endpoint.

    firebase-admin has no option for this: its token verifier copies the module constant
    ``_token_gen.ID_TOKEN_CERT_URI``. The tests and private mirrors serve the keys elsewhere, so
    this one attribute of this app's verifier is set; the module constant, shared by every app
    in the process, is left alone. This is the only place that reaches into firebase-admin.
    """
    verifier = auth._get_client(app)._token_verifier.id_token_verifier
    if not hasattr(verifier, "cert_url"):
        # Fail loudly if an upgrade moves it, rather than silently using Google's keys.
        raise ImproperlyConfigured(
            "FIREBASE_AUTH_CERT_URL cannot be applied to this firebase-admin version."
        )
    verifier.cert_url = cert_url


def _get_app() -> firebase_admin.App:
    global _app
    with _app_lock:
        if _app is None:
            project_id = settings.FIREBASE_PROJECT_ID
            if not project_id:
                raise FirebaseAuthError(
                    FirebaseAuthErrorCode.FIREBASE_NOT_CONFIGURED,
                    gettext_noop("Signing in with Firebase is not configured on this server."),
                )
            app = firebase_admin.initialize_app(
                _credential(), {"projectId": project_id}, name=APP_NAME
            )
            try:
                if settings.FIREBASE_AUTH_CERT_URL:
                    _use_cert_url(app, settings.FIREBASE_AUTH_CERT_URL)
            except Exception:
                firebase_admin.delete_app(app)
                raise
            _app = app
        return _app


def reset_app() -> None:
    """Forget the firebase-admin app, so the next verification builds one from the settings.

    For tests that change the Firebase settings; the app is otherwise built once per process.
    """
    global _app
    with _app_lock:
        if _app is not None:
            firebase_admin.delete_app(_app)
            _app = None


# The variable firebase-admin reads (firebase_admin._auth_utils.EMULATOR_HOST_ENV_VAR).
EMULATOR_HOST_VARIABLE = "FIREBASE_AUTH_EMULATOR_HOST"


def emulator_host() -> str:
    """The Auth emulator's ``host:port`` when firebase-admin is told to use it, else ""."""
    return os.environ.get(EMULATOR_HOST_VARIABLE, "")


def emulator_in_use() -> bool:
    """Whether sign-in goes to the Auth emulator: its host is set and ``DEBUG`` is on. Only
    then are unsigned ID tokens taken (``authentication.authenticate_token``)."""
    return bool(emulator_host()) and settings.DEBUG


def _check_emulator_expiry(claims: dict) -> None:
    """The expiry firebase-admin leaves unchecked for the emulator's tokens."""
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise FirebaseAuthError(FirebaseAuthErrorCode.INVALID_TOKEN, INVALID)
    if expires <= time.time():
        raise FirebaseAuthError(
            FirebaseAuthErrorCode.TOKEN_EXPIRED,
            gettext_noop("The sign-in has expired; sign in again."),
        )


def _invalid_message(token: str) -> str:
    """What to tell of a token firebase-admin refused. With ``DEBUG``, a token of another
    Firebase project (its audience or issuer is not ``FIREBASE_PROJECT_ID``'s: the commonest
    mistake when setting up an app) says which project it is from, read from the unverified
    token for this message alone; otherwise, and in production, the message says nothing of
    why."""
    if not settings.DEBUG:
        return INVALID
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return INVALID
    expected = settings.FIREBASE_PROJECT_ID
    audience, issuer = claims.get("aud"), claims.get("iss")
    if isinstance(issuer, str) and issuer.startswith(FIREBASE_ISSUER):
        issuer_project = issuer.removeprefix(FIREBASE_ISSUER)
    else:
        issuer_project = None
    if isinstance(audience, str) and audience != expected:
        project = audience
    elif isinstance(issuer, str) and issuer_project != expected:
        if issuer_project is None:
            return (
                f"{INVALID} It was issued by {_shown(issuer)}, not by Firebase Authentication; "
                f"FIREBASE_PROJECT_ID is {expected}."
            )
        project = issuer_project
    else:
        return INVALID
    return (
        f"{INVALID} This token was issued for project {_shown(project)}; "
        f"FIREBASE_PROJECT_ID is {expected}."
    )


def _shown(text: str) -> str:
    """Text of an unverified token as a message may quote it: short, printable, and quoted
    when empty or spaced."""
    text = "".join(c if c.isprintable() else "?" for c in text[:100])
    return text if text and not any(c.isspace() for c in text) else repr(text)


def verify_id_token(token: str) -> dict:
    """The claims of a Firebase ID token, once firebase-admin has verified it.

    firebase-admin checks the RS256 signature against the published certificates, the expiry,
    the audience (our project) and the issuer (``https://securetoken.google.com/<project>``).
    The claims include ``uid``. Raises ``FirebaseAuthError``: TOKEN_EXPIRED for an expired token,
    INVALID_TOKEN for any other bad token (with ``DEBUG``, one of another project says so),
    FIREBASE_UNAVAILABLE when the certificates cannot be fetched, FIREBASE_NOT_CONFIGURED when
    no project is set.

    With the Auth emulator (``emulator_in_use``) the signature is not checked, the expiry is
    (here). Should ``FIREBASE_AUTH_EMULATOR_HOST`` be set without ``DEBUG``, where the start-up
    check should have stopped the server, every Firebase token is refused as
    FIREBASE_NOT_CONFIGURED rather than taken unsigned.
    """
    if emulator_host() and not settings.DEBUG:
        logger.error(
            "%s is set without DEBUG: Firebase sign-in is refused.", EMULATOR_HOST_VARIABLE
        )
        raise FirebaseAuthError(
            FirebaseAuthErrorCode.FIREBASE_NOT_CONFIGURED,
            gettext_noop("Signing in with Firebase is not configured on this server."),
        )
    app = _get_app()
    try:
        claims = auth.verify_id_token(token, app=app)
    except auth.ExpiredIdTokenError as error:
        raise FirebaseAuthError(
            FirebaseAuthErrorCode.TOKEN_EXPIRED,
            gettext_noop("The sign-in has expired; sign in again."),
        ) from error
    except auth.InvalidIdTokenError as error:
        logger.info("Rejected a Firebase ID token: %s", error)
        raise FirebaseAuthError(
            FirebaseAuthErrorCode.INVALID_TOKEN, _invalid_message(token)
        ) from error
    except auth.CertificateFetchError as error:
        logger.warning("Could not fetch the Firebase token certificates: %s", error)
        raise FirebaseAuthError(
            FirebaseAuthErrorCode.FIREBASE_UNAVAILABLE,
            gettext_noop("Signing in is unavailable for a moment; try again shortly."),
        ) from error
    except ValueError as error:
        # firebase-admin's answer to input that is not a token at all (empty, not a string).
        raise FirebaseAuthError(FirebaseAuthErrorCode.INVALID_TOKEN, INVALID) from error
    if emulator_host():
        _check_emulator_expiry(claims)
    return claims


def _claimable_email(claims: dict) -> str | None:
    """The token's email if it may be stored on a new user: verified by Firebase, and no other
    account has it. An existing account is never linked by email: whoever controls a Firebase
    account with that address would otherwise take over the account."""
    email = claims.get("email")
    if not email or claims.get("email_verified") is not True:
        return None
    email = User.objects.normalize_email(email)
    if len(email) > User._meta.get_field("email").max_length:
        return None
    if User.objects.filter(email__iexact=email).exists():
        return None
    return email


def _create_user(claims: dict) -> User:
    # The name is whatever the person typed into their Google or Apple profile: kept only if it
    # passes the rules of a name they would choose here (accounts.display_names), else they go
    # without one until they choose one.
    display_name = name_from_profile(claims.get("name"))
    return _insert_user(claims["uid"], _claimable_email(claims), display_name)


def _insert_user(uid: str, email: str | None, display_name: str) -> User:
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, firebase_uid=uid, display_name=display_name
            )
    except IntegrityError:
        # A concurrent first sign-in of the same uid won the insert: that row is the user.
        existing = User.objects.filter(firebase_uid=uid).first()
        if existing is not None:
            return existing
        if email is None:
            raise
    # Another account took the email since it was checked: the user goes without it rather
    # than the sign-in failing.
    return _insert_user(uid, None, display_name)


def user_for_claims(claims: dict) -> User:
    """The user that verified Firebase claims belong to, created on the uid's first sign-in.

    Users are found by Firebase uid only. A new user gets the token's ``name`` and, when Firebase
    has verified it and no other account uses it, its ``email``. Raises ``FirebaseAuthError``
    with USER_DISABLED for a deactivated user, and ACCOUNT_DELETED for a token signed in
    before the uid's account was deleted (``accounts.deletion``).
    """
    user = User.objects.filter(firebase_uid=claims["uid"]).first()
    if user is None:
        if deletion.deleted_before(claims["uid"], claims.get("auth_time")):
            # The app still holds (or refreshes) a token of the account it deleted.
            raise FirebaseAuthError(
                FirebaseAuthErrorCode.ACCOUNT_DELETED,
                gettext_noop("This account was deleted; sign in again to make a new one."),
            )
        deletion.forget_deletion(claims["uid"])
        user = _create_user(claims)
    if not user.is_active:
        raise FirebaseAuthError(
            FirebaseAuthErrorCode.USER_DISABLED, gettext_noop("This account has been disabled.")
        )
    return user


def authenticate(token: str) -> User:
    """The user a Firebase ID token signs in: verify the token, then find or create the user.

    The user carries ``signed_in_at``, when the person last signed in with Firebase (the
    token's ``auth_time``, which refreshing the token keeps): deleting the account asks for a
    recent one."""
    claims = verify_id_token(token)
    user = user_for_claims(claims)
    user.signed_in_at = _instant(claims.get("auth_time"))
    return user


def _instant(seconds) -> datetime.datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, ValueError, OSError):
        return None
