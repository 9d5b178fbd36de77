"""Checks of the deployment that stop it before it serves, rather than fail while serving.

Without DEBUG, static files are served from what ``collectstatic`` wrote to STATIC_ROOT, looked
up in its manifest (WhiteNoise's CompressedManifestStaticFilesStorage): every page that names a
static file, the whole admin among them, answers 500 when the manifest is missing or older than
the code. ``static_files_collected`` finds that out; ``manage.py check --deploy`` runs it, and so
does the server's start (``backend.asgi``, through ``refuse_to_serve_without_static_files``),
which then stops with the check's message instead of serving.
"""

import filecmp
import json
import os

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

COLLECT_STATIC = "python manage.py collectstatic --no-input"
HINT = f"Run `{COLLECT_STATIC}` with the same settings before starting the server."
# collectstatic copies a file only when it is newer than its copy: after going back to an older
# version, its files are older than what was collected, and only --clear replaces them.
STALE_HINT = (
    f"Run `{COLLECT_STATIC} --clear` with the same settings before starting the server "
    "(--clear: collectstatic copies only files newer than the copies it finds)."
)


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs):
    """The manifest of the collected static files exists, lists every static file of this
    version (a manifest from an older version misses the files added since), and the files
    collected are this version's (an older version's copies of the same files differ)."""
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
    found = {}
    for finder in get_finders():
        for path, source in finder.list(ignored):
            # Named as collectstatic names it (under a STATICFILES_DIRS prefix); the first
            # finder's file is the one it collects.
            prefix = getattr(source, "prefix", None)
            found.setdefault(os.path.join(prefix, path) if prefix else path, (source, path))
    missing = sorted(set(found) - collected)
    changed = changed_since_collected(storage, {n: f for n, f in found.items() if n in collected})
    if missing or changed:
        problems = []
        if missing:
            problems.append(
                f"it lacks {len(missing)} of this version's files ({_some(missing)}), and the "
                "pages that use them would fail (500)"
            )
        if changed:
            problems.append(
                f"{len(changed)} of its files differ from this version's ({_some(changed)}), and "
                "pages would be served the old ones"
            )
        return [
            checks.Error(
                f"The static files in {where} were collected from another version: "
                f"{'; '.join(problems)}.",
                hint=STALE_HINT,
                id="backend.E002",
            )
        ]
    return []


def changed_since_collected(storage, found: dict) -> list[str]:
    """The names in ``found`` (the name collected → the finder's storage holding this version's
    file and its path there) whose contents differ from the copy collectstatic made of them in
    ``storage``.

    Each is compared with the copy kept under its own name, not with the hashed one served:
    Django rewrites the hashed copies of CSS and JS files (their URLs and source maps), while
    the copy under the original name is the file as it was collected. Cheap enough for every
    start: the sizes first, then the bytes only where they match (a few milliseconds for the
    admin's files; ``filecmp`` remembers files it compared whose size and time are unchanged).
    Files not on this machine's disk, or whose copy is not kept (WhiteNoise's
    KEEP_ONLY_HASHED_FILES), are not compared."""
    changed = []
    for name, (source, path) in sorted(found.items()):
        try:
            original, copy = source.path(path), storage.path(name)
        except NotImplementedError:
            continue
        if os.path.isfile(copy) and not filecmp.cmp(original, copy, shallow=False):
            changed.append(name)
    return changed


def _some(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (", …" if len(paths) > 3 else "")


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
