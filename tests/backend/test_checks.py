"""Without DEBUG the static files must be collected before the server starts: without their
manifest every admin page is a 500. `manage.py check --deploy` and the server's start refuse
to go on, naming the command to run."""

import io
import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

COMMAND = "python manage.py collectstatic --no-input"


@pytest.fixture
def production_static(settings, tmp_path):
    """Production's storage of static files (a manifest written by collectstatic), in a
    STATIC_ROOT of the test's own, empty."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    return settings.STATIC_ROOT


def check_deploy() -> str:
    """`manage.py check --deploy`; its report when it passes (warnings included), and
    SystemCheckError when it fails."""
    out = io.StringIO()
    call_command("check", "--deploy", stdout=out, stderr=out)
    return out.getvalue()


def collect_static() -> None:
    call_command("collectstatic", "--no-input", verbosity=0)


def test_check_deploy_fails_without_collected_static_files(production_static):
    with pytest.raises(SystemCheckError) as failed:
        check_deploy()

    message = str(failed.value)
    assert "backend.E001" in message
    assert str(production_static / "staticfiles.json") in message
    assert COMMAND in message


def test_check_deploy_passes_once_they_are_collected(production_static):
    collect_static()

    report = check_deploy()

    assert "System check identified" in report
    assert "backend.E00" not in report


def test_check_deploy_fails_when_they_were_collected_from_an_older_version(production_static):
    collect_static()
    manifest_path = production_static / "staticfiles.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["paths"]["events/admin/venue_times.js"]  # added after that collectstatic
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(SystemCheckError) as failed:
        check_deploy()

    assert "backend.E002" in str(failed.value)
    assert "events/admin/venue_times.js" in str(failed.value)
    assert COMMAND in str(failed.value)


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text.replace("venue", "place"),  # the same size, other bytes
        lambda text: text + "\n// an older version\n",
    ],
    ids=["same size", "other size"],
)
def test_check_deploy_fails_when_files_collected_from_an_older_version_differ(
    production_static, change
):
    # Given the static files collected from an older version, in which one script read
    # otherwise: its copy under its own name and the copy served under its hashed name, both
    # older than this version's file
    collect_static()
    name = "events/admin/venue_times.js"
    manifest = json.loads((production_static / "staticfiles.json").read_text())
    for copy in (production_static / name, production_static / manifest["paths"][name]):
        copy.write_text(change(copy.read_text(encoding="utf-8")), encoding="utf-8")
        os.utime(copy, (0, 0))

    # When the deployment is checked
    with pytest.raises(SystemCheckError) as failed:
        check_deploy()

    # Then it fails, naming the file that differs and the command that fixes it
    message = str(failed.value)
    assert "backend.E002" in message
    assert f"1 of its files differ from this version's ({name})" in message
    assert COMMAND in message
    # and collecting again puts it right
    collect_static()
    assert "backend.E00" not in check_deploy()


def test_after_going_back_a_version_the_check_names_the_command_that_puts_it_right(
    production_static,
):
    # Given static files collected by a newer version, whose copy of a script is newer than
    # the file of this, older, version
    collect_static()
    copy = production_static / "events/admin/venue_times.js"
    copy.write_text(copy.read_text(encoding="utf-8") + "\n// a newer version\n", encoding="utf-8")
    # When collectstatic runs as usual, it keeps that copy (it copies only newer files)
    collect_static()
    with pytest.raises(SystemCheckError) as failed:
        check_deploy()
    # Then the check still fails, and names --clear
    assert f"{COMMAND} --clear" in str(failed.value)
    # and with --clear the files are this version's
    call_command("collectstatic", "--no-input", "--clear", verbosity=0)
    assert "backend.E00" not in check_deploy()


def test_the_check_is_silent_where_static_files_come_straight_from_the_apps(settings, tmp_path):
    # The test settings (and DEBUG): no manifest is used, none is needed.
    settings.STATIC_ROOT = tmp_path / "nothing-collected"

    assert "backend.E00" not in check_deploy()


def start_server(static_root) -> subprocess.CompletedProcess:
    """Load the ASGI application as daphne does when it starts, with production settings."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STATIC_ROOT": str(static_root),
    }
    return subprocess.run(
        [sys.executable, "-c", "import backend.asgi"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_server_refuses_to_start_without_them_and_starts_with_them(tmp_path):
    refused = start_server(tmp_path)
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=django_settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "STATIC_ROOT": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    started = start_server(tmp_path)

    assert refused.returncode != 0
    assert "Refusing to serve: backend.E001" in refused.stderr
    assert COMMAND in refused.stderr
    assert collected.returncode == 0, collected.stderr
    assert started.returncode == 0, started.stderr
