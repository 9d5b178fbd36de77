"""The backend's own sign-in: short-lived access tokens and rotating refresh tokens.

Access tokens are JWTs (HS256, signed with a key derived from SECRET_KEY) that any process can
check without a query; they live minutes. Refresh tokens are random strings stored as SHA-256
hashes; each is good for one refresh, and a reused one revokes its whole family (see
RefreshToken). Failed sign-ins are counted per e-mail and per client address in the cache
(Redis in production), and past a limit sign-in waits.
"""

import datetime
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

from .error_codes import AccountErrorCode
from .models import RefreshToken, User

ISSUER = "twinning"
ALGORITHM = "HS256"


class AccessTokenError(Exception):
    """An access token that cannot be used; ``code`` says why."""

    def __init__(self, code: AccountErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime.datetime
    user: User


def _signing_key() -> str:
    # A key of its own, derived from SECRET_KEY, so tokens never share a key with sessions.
    return salted_hmac("twinning.access-token", "signing-key").hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_access_token(
    user: User, family: uuid.UUID, signed_in_at: datetime.datetime | None = None
) -> tuple[str, datetime.datetime]:
    """An access token of ``family`` for ``user``. Its ``auth_time`` is when the person signed
    in with their password (``signed_in_at``, now by default), which refreshing keeps, as
    Firebase's ID tokens do: deleting the account asks for a recent one."""
    now = timezone.now()
    signed_in_at = signed_in_at or now
    # Whole seconds, as the `exp` claim holds it: the time the client is told is the token's.
    expires = (now + datetime.timedelta(seconds=settings.ACCESS_TOKEN_LIFETIME_SECONDS)).replace(
        microsecond=0
    )
    claims = {
        "iss": ISSUER,
        "sub": str(user.pk),
        "typ": "access",
        "fam": str(family),
        "iat": int(now.timestamp()),
        "auth_time": int(signed_in_at.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _signing_key(), algorithm=ALGORITHM), expires


def _issue_pair(
    user: User, family: uuid.UUID, signed_in_at: datetime.datetime | None = None
) -> TokenPair:
    refresh = secrets.token_urlsafe(48)
    RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=_hash(refresh),
        expires_at=timezone.now()
        + datetime.timedelta(seconds=settings.REFRESH_TOKEN_LIFETIME_SECONDS),
    )
    access, expires = issue_access_token(user, family, signed_in_at)
    return TokenPair(access, refresh, expires, user)


def issue_tokens(user: User) -> TokenPair:
    """A new sign-in of ``user`` (a family of its own) without a password: for the embedded
    default's ``manage.py create_app_user``, which hands an app developer the tokens a
    ``tokenCreate`` would. The same tokens, refreshed and revoked as any others."""
    with transaction.atomic():
        return _issue_pair(user, uuid.uuid4())


def user_for_access_token(token: str) -> User:
    """The active user an access token was issued to, or AccessTokenError."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "typ"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise AccessTokenError(
            AccountErrorCode.TOKEN_EXPIRED, gettext_noop("The access token expired.")
        ) from error
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(
            AccountErrorCode.INVALID_TOKEN, gettext_noop("The access token is invalid.")
        ) from error
    if claims.get("typ") != "access":
        raise AccessTokenError(AccountErrorCode.INVALID_TOKEN, gettext_noop("Not an access token."))
    # One query: the user, and whether their sign-in was revoked (sign-out, or a reused
    # refresh token), so a revoked session stops at once rather than when the token expires.
    revoked = RefreshToken.objects.filter(family=claims.get("fam"), revoked_at__isnull=False)
    user = (
        User.objects.filter(pk=claims["sub"], is_active=True)
        .annotate(session_revoked=Exists(revoked))
        .first()
    )
    if user is None or user.session_revoked:
        raise AccessTokenError(
            AccountErrorCode.INVALID_TOKEN, gettext_noop("The session has ended.")
        )
    # When the person signed in (tokens issued before they carried it: unknown).
    auth_time = claims.get("auth_time")
    user.signed_in_at = (
        datetime.datetime.fromtimestamp(auth_time, datetime.UTC)
        if isinstance(auth_time, int) and not isinstance(auth_time, bool)
        else None
    )
    return user


# --- Throttling failed sign-ins ------------------------------------------------------------


def _throttle_keys(email: str, client_ip: str | None) -> list[str]:
    keys = [f"signin-fail:email:{hashlib.sha256(email.lower().encode()).hexdigest()}"]
    if client_ip:
        keys.append(f"signin-fail:ip:{client_ip}")
    return keys


def _seconds_until_allowed(keys: list[str]) -> int:
    """0 when sign-in may be tried, else how long to wait (the window's length, at most)."""
    window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
    counts = cache.get_many(keys)
    if any(count >= settings.SIGNIN_MAX_FAILURES for count in counts.values()):
        return window
    return 0


def _record_failure(keys: list[str]) -> None:
    window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
    for key in keys:
        # add() sets the window once; incr() keeps its expiry.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window)


def create_tokens(email: str, password: str, client_ip: str | None = None) -> TokenPair:
    """Sign in with e-mail and password; a ValidationError says why not.

    While the cache is down the failures cannot be counted, and its error is let through
    (the API answers it as an outage, to try again): unlike the rate limits, which let
    requests through uncounted, this throttle is what stops a password being guessed."""
    keys = _throttle_keys(email, client_ip)
    wait = _seconds_until_allowed(keys)
    if wait:
        raise ValidationError(
            gettext_noop("Too many failed sign-ins. Try again in %(seconds)d seconds."),
            code=AccountErrorCode.RATE_LIMITED,
            params={"seconds": wait},
        )
    user = authenticate(email=email, password=password)
    if user is None:
        _record_failure(keys)
        raise ValidationError(
            gettext_noop("The e-mail or password is wrong."),
            code=AccountErrorCode.INVALID_CREDENTIALS,
        )
    cache.delete(keys[0])
    return issue_tokens(user)


def refresh_tokens(refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; a reused token revokes its whole family."""
    now = timezone.now()
    with transaction.atomic():
        stored = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(refresh_token))
            .first()
        )
        if stored is None or stored.revoked_at or not stored.user.is_active:
            raise ValidationError(
                gettext_noop("The refresh token is not valid."), code=AccountErrorCode.INVALID_TOKEN
            )
        if stored.used_at:
            RefreshToken.objects.filter(family=stored.family, revoked_at__isnull=True).update(
                revoked_at=now
            )
            # Committed with the block; the caller gets the error after it.
            reused = True
        else:
            reused = False
            if stored.expires_at <= now:
                raise ValidationError(
                    gettext_noop("The refresh token expired."), code=AccountErrorCode.TOKEN_EXPIRED
                )
            stored.used_at = now
            stored.save(update_fields=["used_at"])
            # The sign-in that started the family: the first token of it.
            signed_in_at = (
                RefreshToken.objects.filter(family=stored.family)
                .order_by("created_at")
                .values_list("created_at", flat=True)
                .first()
            )
            pair = _issue_pair(stored.user, stored.family, signed_in_at)
    if reused:
        raise ValidationError(
            gettext_noop(
                "This refresh token was already used; every session it started is signed out."
            ),
            code=AccountErrorCode.TOKEN_REUSED,
        )
    return pair


def revoke_tokens(refresh_token: str) -> None:
    """Sign out: revoke the family of a refresh token. Unknown tokens are ignored, so that
    signing out twice is not an error."""
    stored = RefreshToken.objects.filter(token_hash=_hash(refresh_token)).first()
    if stored is not None:
        RefreshToken.objects.filter(family=stored.family, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
