"""docker-compose.yml, the Makefile, the Dockerfile and the nginx template tell one story: each
app service runs the Makefile's command for it, the image's default command is the HTTP tier's,
every app service is given the time its process takes to stop, the web tiers trust the one proxy
in front of them, and the proxy's environment fills every variable of its template.

No Docker engine runs in CI, so the files are read as YAML and text here;
tests/e2e/test_proxy.py runs the tiers with compose's commands behind the rendered template."""

import json
import re
import shlex

import pytest
import yaml
from django.conf import settings

ROOT = settings.BASE_DIR
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# The services built from the repository: the app's own processes.
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
# The Makefile's target for each service, and the values its variables take in compose.
TARGETS = {
    "http": "serve-http",
    "websocket": "serve-websockets",
    "worker": "worker",
    "beat": "beat",
}
MAKE_VARIABLES = {
    "$(BIN)/": "",
    # A container listens on every interface.
    "$(HOST)": "0.0.0.0",  # noqa: S104
    "$(HTTP_PORT)": "8000",
    "$(WEBSOCKET_PORT)": "8001",
}


def make_recipe(target: str) -> list[str]:
    """The one command of a Makefile target, its variables given compose's values."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match, f"The Makefile has no target {target}."
    (line,) = match[1].strip().splitlines()
    for variable, value in MAKE_VARIABLES.items():
        line = line.replace(variable, value)
    return shlex.split(line)


def seconds(duration: str) -> float:
    """A compose duration such as "25s" or "1m30s", in seconds."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, f"Not a duration: {duration!r}"
    return int(parts[1] or 0) * 60 + int(parts[2] or 0)


@pytest.mark.parametrize("service", sorted(TARGETS))
def test_each_service_runs_the_makefiles_command(service):
    assert SERVICES[service]["command"] == make_recipe(TARGETS[service])


def test_the_image_runs_the_http_tier_by_default():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (command,) = re.findall(r"^CMD (.*)$", dockerfile, re.MULTILINE)
    assert json.loads(command) == SERVICES["http"]["command"]


def test_migrations_run_once_before_the_app_starts():
    for name in APP_SERVICES:
        if name != "migrate":
            assert SERVICES[name]["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]


def test_every_app_service_has_the_time_to_shut_down_gracefully():
    for name in APP_SERVICES:
        service = SERVICES[name]
        graceful = float(service["environment"]["GRACEFUL_SHUTDOWN_SECONDS"])
        # Compose's value is the setting's default, and the process has 10 s more than it may
        # spend finishing its work to exit (a Celery worker cut short gives its tasks back to
        # the broker and ends its pool) before docker kills it.
        assert graceful == settings.GRACEFUL_SHUTDOWN_SECONDS, name
        assert seconds(service["stop_grace_period"]) == graceful + 10, name


def test_the_web_tiers_trust_the_proxy_and_share_the_metrics():
    for name in ("http", "websocket"):
        assert SERVICES[name]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    for name in ("http", "websocket", "worker"):
        service = SERVICES[name]
        directory = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert f"metrics:{directory}" in service["volumes"], name


def test_the_proxy_fills_every_variable_of_its_template():
    proxy = SERVICES["proxy"]
    (mount,) = [volume for volume in proxy["volumes"] if volume.startswith("./deploy/")]
    source, target, _mode = mount.split(":")
    template = (ROOT / source).read_text()
    # The image writes templates/X.template to conf.d/X: default.conf replaces its own page.
    assert target == "/etc/nginx/templates/default.conf.template"
    assert set(re.findall(r"\$\{(\w+)\}", template)) == set(proxy["environment"])
    upstreams = {proxy["environment"][name] for name in ("HTTP_UPSTREAM", "WEBSOCKET_UPSTREAM")}
    assert upstreams == {"http:8000", "websocket:8001"}


def test_the_proxy_serves_the_pictures_the_app_writes():
    # The services that write pictures (uploads; the daily prune) and the proxy that serves
    # them share the media volume, at the directory each is told of
    root = COMPOSE["x-app-environment"]["MEDIA_ROOT"]
    for name in ("http", "worker"):
        assert SERVICES[name]["environment"]["MEDIA_ROOT"] == root
        assert f"media:{root}" in SERVICES[name]["volumes"], name
    proxy = SERVICES["proxy"]
    assert proxy["environment"]["NGINX_MEDIA_ROOT"] == root
    assert f"media:{root}:ro" in proxy["volumes"]
    template = (ROOT / "deploy/nginx/twinning.conf.template").read_text()
    assert "location /media/images/ {\n        alias ${NGINX_MEDIA_ROOT}/images/;" in template
    # And uploads fit through it: above the app's own limits, which answer first
    limit = re.search(r"client_max_body_size (\d+)m;", template)
    assert int(limit[1]) * 2**20 > settings.GRAPHQL_MAX_BODY_BYTES + settings.IMAGE_MAX_BYTES
    assert "/var/lib/twinning/media" in (ROOT / "Dockerfile").read_text()


def nginx_locations(template: str) -> dict[str, str]:
    """Each ``location`` block of the template by what follows the word (``/e/``,
    ``= /healthz``): its body, comments left out."""
    text = re.sub(r"#[^\n]*", "", template)
    blocks = {}
    for match in re.finditer(r"\blocation\s+([^{]+?)\s*\{", text):
        depth, at = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[at], 0)
            at += 1
        blocks[match[1]] = text[match.end() : at - 1]
    return blocks


@pytest.mark.parametrize(
    "location",
    ["/e/", "= /.well-known/assetlinks.json", "= /.well-known/apple-app-site-association"],
)
def test_the_proxy_sends_share_links_and_app_links_files_to_the_http_tier(location):
    # tests/e2e/test_proxy.py follows them through nginx; this holds on every leg.
    blocks = nginx_locations((ROOT / "deploy/nginx/twinning.conf.template").read_text())

    body = blocks[location]
    assert re.search(r"^\s*proxy_pass http://twinning_http;$", body, re.MULTILINE)
    # Neither Android nor iOS follows a redirect
    assert not re.search(r"\b(return|rewrite)\b", body)
