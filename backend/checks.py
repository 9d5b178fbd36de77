"""Checks of the deployment that stop it before it serves, rather than fail while serving.

Without DEBUG, static files are served from what ``collectstatic`` wrote to STATIC_ROOT, looked
up in its manifest (WhiteNoise's CompressedManifestStaticFilesStorage): every page that names a
static file, the whole admin among them, answers 500 when the manifest is missing or older than
the code. ``static_files_collected`` finds that out; ``manage.py check --deploy`` runs it, and so
does the server's start (``backend.asgi``, through ``refuse_to_serve_without_static_files``),
which then stops with the check's message instead of serving.
"""

import json

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

COLLECT_STATIC = "python manage.py collectstatic --no-input"
HINT = f"Run `{COLLECT_STATIC}` with the same settings before starting the server."


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs):
    """The manifest of the collected static files exists and lists every static file of this
    version (a manifest from an older version misses the files added since)."""
    # Imported here: the check is registered while the settings are still being read.
    from django.apps import apps
    from django.contrib.staticfiles.finders import get_finders
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    try:
        # A storage of its own: the shared one keeps the manifest it read when first used.
        storage = storages.create_storage(settings.STORAGES["staticfiles"])
        if not isinstance(storage, ManifestFilesMixin):
            return []
        manifest = storage.read_manifest()
        where = storage.manifest_storage.path(storage.manifest_name)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), hint="Set STATIC_ROOT.", id="backend.E003")]
    if manifest is None:
        return [
            checks.Error(
                f"The static files have not been collected: {where} is missing, so every admin "
                "page would fail (500).",
                hint=HINT,
                id="backend.E001",
            )
        ]
    collected = set(json.loads(manifest).get("paths", {}))
    ignored = apps.get_app_config("staticfiles").ignore_patterns
    found = {path for finder in get_finders() for path, _ in finder.list(ignored)}
    missing = sorted(found - collected)
    if missing:
        return [
            checks.Error(
                f"The static files in {where} were collected from an older version: it lacks "
                f"{len(missing)} of this version's files ({', '.join(missing[:3])}"
                f"{', …' if len(missing) > 3 else ''}), and the pages that use them would fail "
                "(500).",
                hint=HINT,
                id="backend.E002",
            )
        ]
    return []


def refuse_to_serve_without_static_files() -> None:
    """Stop the server's start, naming what to run, when the static files' checks (the
    deployment's included) find an error."""
    errors = [
        error
        for error in checks.run_checks(
            tags=[checks.Tags.staticfiles], include_deployment_checks=True
        )
        if error.is_serious()
    ]
    if errors:
        raise ImproperlyConfigured(
            "Refusing to serve: "
            + "\n".join(f"{error.id}: {error.msg}\n\tHINT: {error.hint}" for error in errors)
        )
