"""Real Firebase ID tokens for tests: an RSA key, its self-signed certificate served over HTTP
from 127.0.0.1 the way Google's x509 endpoint serves them, and tokens signed with that key.

Nothing in firebase-admin is replaced: it fetches the certificate from the local server and
verifies the tokens exactly as it verifies real ones.
"""

import datetime
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from accounts import firebase

PROJECT_ID = "twinning-test"
ISSUER = f"https://securetoken.google.com/{PROJECT_ID}"
KID = "test-key-1"
DEFAULT_UID = "firebase-uid-1"


@dataclass(frozen=True)
class SigningKeys:
    """The key whose certificate the key server publishes, and one it does not know."""

    registered: rsa.RSAPrivateKey
    certificate_pem: str
    other: rsa.RSAPrivateKey


def _self_signed_certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.system.gserviceaccount.com")]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class KeyServer:
    """An HTTP server on 127.0.0.1 answering every GET with ``{kid: PEM certificate}``.

    ``request_count`` is how many requests it has answered: proof that the keys really are
    fetched over HTTP.
    """

    def __init__(self, certificates: dict[str, str]):
        self.body = json.dumps(certificates).encode()
        self.request_count = 0
        self._count_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0 and "Connection: close": no client keeps a socket open after a test.
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                with server._count_lock:
                    server.request_count += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(server.body)))
                # Nothing may be cached: each test must see the keys it expects.
                self.send_header("Cache-Control", "no-store, max-age=0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/x509"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a key server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/x509"


@dataclass
class FirebaseTokens:
    """Signs Firebase ID tokens for the test project; see ``sign``."""

    keys: SigningKeys
    key_server: KeyServer
    project_id: str = PROJECT_ID
    kid: str = KID

    @property
    def other_key(self) -> rsa.RSAPrivateKey:
        return self.keys.other

    def default_claims(self, uid: str = DEFAULT_UID) -> dict:
        """The claims of a fresh email/password sign-in of ``uid``, as Firebase issues them."""
        now = int(time.time())
        return {
            "iss": ISSUER,
            "aud": self.project_id,
            "auth_time": now,
            "user_id": uid,
            "sub": uid,
            "iat": now,
            "exp": now + 3600,
            "email": f"{uid}@example.com",
            "email_verified": False,
            "firebase": {
                "identities": {"email": [f"{uid}@example.com"]},
                "sign_in_provider": "password",
            },
        }

    def sign(self, claims=None, *, kid=None, key=None, uid=DEFAULT_UID, **overrides) -> str:
        """A valid RS256 ID token for ``uid``, unless the arguments make it otherwise.

        ``claims`` and then ``overrides`` are laid over ``default_claims(uid)``; an
        override of ``None`` removes the claim. ``kid`` is the header's key id (default: the
        published one) and ``key`` the signing key (default: the published one's; pass
        ``other_key`` for a bad signature).
        """
        payload = self.default_claims(uid) | (claims or {}) | overrides
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(
            payload,
            key or self.keys.registered,
            algorithm="RS256",
            headers={"kid": kid or self.kid},
        )


@pytest.fixture(scope="session")
def firebase_signing_keys() -> SigningKeys:
    """Generated once per run: RSA keys take a moment to make."""
    registered = _new_key()
    return SigningKeys(
        registered=registered,
        certificate_pem=_self_signed_certificate(registered),
        other=_new_key(),
    )


@pytest.fixture
def firebase_key_server(firebase_signing_keys):
    """A running ``KeyServer`` that publishes the registered key's certificate under ``KID``."""
    server = KeyServer({KID: firebase_signing_keys.certificate_pem})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def firebase_tokens(settings, monkeypatch, firebase_signing_keys, firebase_key_server):
    """Firebase sign-in configured for the test project, its keys served by the key server.

    Gives a ``FirebaseTokens``: ``firebase_tokens.sign(...)`` makes ID tokens.
    """
    # The emulator switch makes firebase-admin skip signature checks, and a proxy would not
    # reach 127.0.0.1: neither may leak in from the environment.
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    settings.FIREBASE_CREDENTIALS = ""
    settings.FIREBASE_AUTH_CERT_URL = firebase_key_server.url
    firebase.reset_app()
    yield FirebaseTokens(keys=firebase_signing_keys, key_server=firebase_key_server)
    firebase.reset_app()
