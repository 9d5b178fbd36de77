"""Firebase's Auth emulator, the real one: the firebase-tools npm package (tests/e2e/firebase),
started on free ports of 127.0.0.1 for a ``demo-`` project, which needs no Google account and
reaches no Google service. People are signed up and signed in through its REST API, the
Identity Toolkit's that the Firebase SDKs in the apps call, and get its ID tokens.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import httpx

from tests.waiting import eventually_sync

TOOLS = Path(__file__).parent / "firebase"
FIREBASE = TOOLS / "node_modules" / ".bin" / "firebase"
# A demo- project: the emulator needs no credentials for it and calls nothing outside.
PROJECT_ID = "demo-twinning"
# The emulators start in a few seconds; a slow machine under the whole suite gets more.
START_SECONDS = 90
STOP_SECONDS = 20


def emulator_missing() -> str | None:
    """Why the Auth emulator cannot run here, or None if it can."""
    if shutil.which("node") is None:
        return "Node.js (20 or newer) is not installed: the Firebase Auth emulator runs on it."
    if not FIREBASE.exists():
        return (
            f"firebase-tools is not installed in {TOOLS}: run `make install` (which runs "
            "`npm ci` there when npm is installed)."
        )
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AuthEmulator:
    """One Auth emulator process, its files (configuration, logs) in ``directory``.

    ``host`` is its ``host:port``, what ``FIREBASE_AUTH_EMULATOR_HOST`` is set to.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "emulator.log"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _configuration(self) -> Path:
        # The emulator hub and the logging emulator start along with any emulator: on free
        # ports of their own too, so that runs side by side do not collide on 4400 and 4500.
        config = {
            "emulators": {
                "auth": {"host": "127.0.0.1", "port": self.port},
                "hub": {"host": "127.0.0.1", "port": _free_port()},
                "logging": {"host": "127.0.0.1", "port": _free_port()},
                "ui": {"enabled": False},
            }
        }
        path = self.directory / "firebase.json"
        path.write_text(json.dumps(config))
        return path

    def start(self) -> None:
        environment = {
            **os.environ,
            # No update check, no message of the day: nothing is fetched from outside.
            "NO_UPDATE_NOTIFIER": "1",
            "CI": "true",
            # firebase-tools keeps its settings under here, not in the home directory.
            "XDG_CONFIG_HOME": str(self.directory / "config"),
        }
        command = [
            str(FIREBASE),
            "emulators:start",
            "--only",
            "auth",
            "--project",
            PROJECT_ID,
            "--config",
            str(self._configuration()),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (the tests' own command line)
                command,
                cwd=self.directory,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            eventually_sync(self._ready, timeout=START_SECONDS, interval=0.2)
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"The Auth emulator exited ({self.process.returncode}):\n{self.log()}"
            )
        try:
            response = httpx.get(f"http://{self.host}/", timeout=1, trust_env=False)
        except httpx.TransportError:
            return False
        return response.status_code == 200 and response.json()["authEmulator"]["ready"]

    def stop(self) -> int | None:
        """Stop the emulator and the processes it started (its own process group): SIGINT,
        which firebase-tools answers by shutting its emulators down; SIGKILL if it has not
        in time."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _identity_toolkit(self, method: str, body: dict) -> dict:
        # The emulator takes any API key; the apps' SDKs send their own.
        url = f"http://{self.host}/identitytoolkit.googleapis.com/v1/accounts:{method}?key=any"
        response = httpx.post(url, json=body, timeout=10, trust_env=False)
        assert response.status_code == 200, response.text
        return response.json()

    def sign_up(self, email: str, password: str, display_name: str | None = None) -> dict:
        """A new email/password account, as the SDKs' createUserWithEmailAndPassword makes one
        (then updateProfile with the name); its ``localId`` is the Firebase uid."""
        body = {"email": email, "password": password, "returnSecureToken": True}
        if display_name is not None:
            body["displayName"] = display_name
        return self._identity_toolkit("signUp", body)

    def sign_in(self, email: str, password: str) -> dict:
        """A sign-in with email and password: the answer's ``idToken`` is what the app sends
        the backend."""
        return self._identity_toolkit(
            "signInWithPassword", {"email": email, "password": password, "returnSecureToken": True}
        )
