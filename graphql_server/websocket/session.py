"""Who is asking on a socket: the token of `connection_init`, checked for every operation, at its
expiry, whenever the account's news comes, and every so often on its own.

**A socket is not a licence.** The token of `connection_init` is checked again for every
operation started (a query, a mutation, a subscription), as a request over HTTP would be
checked at that moment, and the operation runs as the user it names now; a token no longer
accepted closes the socket with 4403 and the reason. The token's expiry (its ``exp``) closes
the socket with 4403 when it comes; apps reconnect with a fresh token (graphql-ws clients do so
with a ``connectionParams`` function). And a signed-in connection listens to its user's group
(the authenticator's ``account_group``, see ``graphql_server.authenticator``): when a session
is revoked, the account is deactivated or a role changes, on whichever server process, the
connection checks its token again at once (4403 if refused) and its running subscriptions go
on with the user read afresh; what they deliver meanwhile waits for that check. News can be
lost (the channel layer failing as it is sent, or while a process has lost it), so a signed-in
connection also checks its token on its own every ``WEBSOCKET_REAUTHENTICATE_SECONDS``, and one
whose watch of the account was lost with the channel layer watches again, and checks, once the
hub has healed.
"""

import asyncio
import logging
import random
import time

from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser

from core.outages import is_outage

from .. import runner
from ..authenticator import (
    TokenRefused,
    account_group,
    authenticate_token,
    bearer_token,
    token_expires_at,
)
from .context import AccountWatch, WebsocketContext
from .group_hub import ChannelLayerUnavailable, GroupHub
from .protocol import TOKEN_EXPIRED, CloseCode, CloseConnection, invalid

logger = logging.getLogger(__name__)


def init_token(payload: dict) -> str | None:
    """The bearer token of a `connection_init` payload, None for an anonymous connection.

    ``{"authorization": "Bearer <token>"}`` mirrors the HTTP header; ``{"token": "<token>"}``
    is the short form. An empty value counts as none, as an empty header does over HTTP.
    """
    authorization = payload.get("authorization", payload.get("Authorization"))
    if authorization is not None:
        if not isinstance(authorization, str):
            raise invalid("'authorization' must be a string")
        try:
            return bearer_token(authorization)
        except TokenRefused as error:
            raise CloseConnection(CloseCode.FORBIDDEN, error.message) from error
    token = payload.get("token")
    if token is not None and not isinstance(token, str):
        raise invalid("'token' must be a string")
    return (token or "").strip() or None


class SessionMixin:
    """The viewer of a connection, a part of ``GraphQLWebsocketConsumer``: see the module.

    It relies on the consumer for the rest of the connection: ``_in_thread``, ``_spawn``,
    ``_every``, ``_call_later``, ``close_with``, ``limits``, ``request_id``,
    ``connection_id``, ``_hub``, ``_operations`` and ``_closed``.
    """

    # The wall clock the token's expiry is read against (seconds since the epoch, as ``exp``).
    clock = staticmethod(time.time)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The viewer as last checked: at `connection_init`, then whenever news of the account
        # came. Each operation checks the token again for itself.
        self.user = AnonymousUser()
        # The bearer token of `connection_init` (None: anonymous), and what watches its user.
        self._token: str | None = None
        self._account: AccountWatch | None = None
        # Waits for the hub to heal, to watch the account again (``_watch_again``).
        self._rewatch: asyncio.Task | None = None
        # How many times news of the account was heard; while a check of it is pending, an
        # event set once it is done (what the subscriptions deliver waits for it).
        self._account_news = 0
        self.account_check: asyncio.Event | None = None
        # When the token expires: a timer rather than a task, as every signed-in socket has one.
        self._expiry: asyncio.TimerHandle | None = None

    async def _sign_in(self, payload: dict) -> None:
        """The viewer the token of `connection_init`'s ``payload`` names (anonymous without
        one); CloseConnection(4403) when it is refused."""
        self._token = init_token(payload)
        # The token's user (and whether their session was revoked) is in the database.
        self.user = await self._in_thread(self._authenticate)

    def _keep_checking(self) -> None:
        """Once the connection is acknowledged: close it when its token expires, and check the
        token again every ``limits.reauthenticate`` seconds."""
        if self._token is not None and (expires := token_expires_at(self._token)) is not None:
            delay = max(0.0, expires - self.clock())
            self._expiry = self._call_later(delay, self._expired)
        if self.user.is_authenticated and self.limits.reauthenticate > 0:
            interval = self.limits.reauthenticate
            # The first check comes at a random point of the second half of the first
            # interval, so that sockets opened together (after a deploy, or an outage) are not
            # all checked at once ever after.
            first = interval * random.uniform(0.5, 1.0)  # noqa: S311 (a spread, not a secret)
            self._every(interval, self._reauthenticate, first)

    def _authenticate(self):
        """The user the connection's token names now (anonymous without one), as the same
        token would be taken over HTTP now; CloseConnection(4403) with the reason when it is
        refused. Blocking: it reads the database."""
        if self._token is None:
            return AnonymousUser()
        try:
            return authenticate_token(self._token)
        except TokenRefused as error:
            raise CloseConnection(CloseCode.FORBIDDEN, error.message) from error

    def _authenticate_for_operation(self):
        """``_authenticate``, for an operation about to run: a failure other than a refused
        token is that operation's error, decided, masked and logged as over HTTP (the database
        unreachable: SERVICE_UNAVAILABLE), and the socket stays open."""
        try:
            return self._authenticate()
        except CloseConnection:
            raise
        except Exception as error:
            failure = runner.unexpected_error(error, self.request_id)
            raise runner.OperationRefused([failure]) from error

    async def _authorize(self, context: WebsocketContext) -> None:
        """``context.user``: the user the token names now, for an operation that starts."""
        if self._token is None:
            return
        heard = self._account_news
        user = await self._in_thread(self._authenticate_for_operation)
        # News of the account heard meanwhile has its own check, begun after this one: the
        # user that check reads (already, or once it is done) is the one to go on with.
        context.user = user if heard == self._account_news else self.user

    def account_news(self) -> None:
        """News of the account (``AccountWatch``): check the token again, and hold what the
        subscriptions deliver until that is done. Must not block."""
        self._account_news += 1
        if self.account_check is None:
            self.account_check = asyncio.Event()
            self._spawn(self._check_viewer)

    async def _check_viewer(self) -> None:
        """Check the token again until no news came during a check: refused, the socket closes
        (4403); accepted, the running subscriptions go on as the user read now."""
        while True:
            heard = self._account_news
            self._viewer_is(await self._in_thread(self._authenticate))
            if heard == self._account_news:
                break
        # Refused, the socket closes and what waits is cancelled with it.
        done, self.account_check = self.account_check, None
        done.set()

    def _viewer_is(self, user) -> None:
        """``user``, as a check of the token read it: the connection's viewer, and that of its
        running subscriptions from their next delivery on."""
        self.user = user
        for operation in self._operations.values():
            if operation.streaming and operation.context is not None:
                operation.context.user = user

    async def _reauthenticate(self) -> None:
        """Check the token again (every ``WEBSOCKET_REAUTHENTICATE_SECONDS``, see
        ``_keep_checking``) as news of the account would have it checked: refused, the socket
        closes (4403); accepted, the subscriptions go on as the user read now. News that never
        came (lost with the channel layer as it was sent, or while the account was not
        watched) is acted on within the interval all the same.

        Deliveries do not wait for it: it bounds how long lost news can hold, where news heard
        is acted on first. An outage met by a check is no news of the account: the socket
        stays as it is, and the next interval checks again."""
        heard = self._account_news
        try:
            user = await self._in_thread(self._authenticate)
        except Exception as error:
            if not is_outage(error):
                raise
            logger.warning(
                "Websocket %s: the token could not be checked again now: %r",
                self.connection_id,
                error,
            )
            return
        # News heard meanwhile has a check of its own, begun after this one: its reading is
        # the newer one.
        if heard == self._account_news:
            self._viewer_is(user)

    async def _watch_account(self) -> None:
        """Listen to the user's news (``account_group``) through the process's hub. While the
        channel layer is unavailable the connection goes on unwatched: its queries and
        mutations check the token each time, it may start no subscription until watched, and
        it watches again once the hub has healed (``_watch_once_healed``)."""
        if self._hub is None:
            self._hub = GroupHub.of(get_channel_layer())
        if not await self._join_account():
            self._watch_once_healed()

    async def _join_account(self) -> bool:
        """Join the user's group through the hub; whether the account is watched now."""
        watch = AccountWatch(self, account_group(self.user))
        try:
            await self._hub.join(watch.group, watch)
        except ChannelLayerUnavailable:
            logger.info("Websocket %s: the account's news cannot be heard now", self.connection_id)
            return False
        if self._account is not None or self._closed:
            # Another join got there first (a subscription's, and one after healing), or the
            # connection ended meanwhile: one watch of the account is enough.
            await self._hub.leave(watch.group, watch)
            return self._account is not None
        self._account = watch
        return True

    def account_watch_lost(self, watch: AccountWatch) -> None:
        """The hub dropped ``watch`` with the channel layer: watch again once it has healed."""
        if self._account is watch:
            self._account = None
            self._watch_once_healed()

    def _watch_once_healed(self) -> None:
        if not self._closed and (self._rewatch is None or self._rewatch.done()):
            self._rewatch = self._spawn(self._watch_again)

    async def _watch_again(self) -> None:
        """Wait for the hub to heal, watch the account again, and check the token at once, as
        news of the account would: what was told while nothing was listening was lost."""
        while self._account is None and not self._closed:
            await self._hub.healed()
            if await self._join_account():
                self.account_news()

    def _expired(self) -> None:
        """The token's expiry came: close the socket (4403)."""
        self._spawn(self.close_with, CloseCode.FORBIDDEN, TOKEN_EXPIRED)
