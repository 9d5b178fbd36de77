"""The start-up check that keeps Firebase's emulator mode out of production."""

from accounts.checks import firebase_emulator_not_in_production


def test_the_emulator_host_is_an_error_without_debug(monkeypatch, settings):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    settings.DEBUG = False

    assert [error.id for error in firebase_emulator_not_in_production(None)] == ["accounts.E001"]


def test_the_emulator_host_is_allowed_in_debug(monkeypatch, settings):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    settings.DEBUG = True

    assert firebase_emulator_not_in_production(None) == []
