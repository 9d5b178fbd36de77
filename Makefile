# Two commands do all the set-up: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Production's two web tiers, as docker-compose.yml runs them (its proxy listens on PORT).
HTTP_PORT ?= 8000
WEBSOCKET_PORT ?= 8001

# Local runs use the embedded default (SQLite, in-memory channel layer, tasks in-process)
# with DEBUG on, which also turns GraphiQL on; set DEBUG=false to try production behaviour.
run migrate seed static serve serve-http serve-websockets worker beat schema: export DEBUG ?= true

.PHONY: run serve serve-http serve-websockets install migrate seed static test lint format schema messages lock worker beat clean

run: install migrate seed serve ## Set up everything and serve http://127.0.0.1:8000/graphql/

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

# The end-to-end tests' reference client, the graphql-ws npm package (tests/e2e/node). Installed
# where npm is; elsewhere those tests fail saying what is missing.
NODE_CLIENT := tests/e2e/node
NPM := $(shell command -v npm 2>/dev/null)

$(NODE_CLIENT)/node_modules/.installed: $(NODE_CLIENT)/package.json $(NODE_CLIENT)/package-lock.json
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund
	touch $@

# Firebase's Auth emulator (the firebase-tools npm package, tests/e2e/firebase), which the
# sign-in tests start and sign people up with; developers may run it from there too (README,
# "Signing in"). Installed where npm is, as the client above.
FIREBASE_TOOLS := tests/e2e/firebase

$(FIREBASE_TOOLS)/node_modules/.installed: $(FIREBASE_TOOLS)/package.json $(FIREBASE_TOOLS)/package-lock.json
	cd $(FIREBASE_TOOLS) && NO_UPDATE_NOTIFIER=1 npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed $(if $(NPM),$(NODE_CLIENT)/node_modules/.installed $(FIREBASE_TOOLS)/node_modules/.installed)

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: install
	$(BIN)/python manage.py seed_demo

# Collect the static files (admin, GraphiQL) into STATIC_ROOT, as the Dockerfile does when it
# builds the image. Without DEBUG the server refuses to start until they are collected.
static: install
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0

# One process serving HTTP and websockets alike (the websocket tier's server answers plain HTTP
# too), after collecting the static files: the embedded default's in-memory channel layer lives
# in one process, so the HTTP requests that broadcast must be served where the sockets are.
serve: install static
	$(BIN)/python -m backend.websocket_server --host $(HOST) --port $(PORT)

# Production's two web tiers, the same commands as the http and websocket services of
# docker-compose.yml (README, "Production topology"). Run both, behind a proxy that sends the
# websocket upgrade on /graphql/ to the second (deploy/nginx/twinning.conf.template), on a
# shared database and REDIS_URL: the tiers are separate processes.
serve-http: install static
	$(BIN)/gunicorn --config python:backend.gunicorn --bind $(HOST):$(HTTP_PORT) backend.wsgi:application

serve-websockets: install static
	$(BIN)/python -m backend.websocket_server --host $(HOST) --port $(WEBSOCKET_PORT)

# The same command the worker service runs in docker-compose.yml.
worker: install
	$(BIN)/celery --app backend worker --loglevel INFO

# The same command as the beat service in docker-compose.yml (push sweep and reminders).
beat: install
	$(BIN)/celery --app backend beat --loglevel INFO --schedule /tmp/celerybeat-schedule

# A worker per core (pytest-xdist): TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Export the GraphQL SDL; tests fail when schema/schema.graphql drifts from the code.
schema: install
	$(BIN)/python manage.py graphql_schema --out schema/schema.graphql

# Gather the marked strings into locale/*/LC_MESSAGES/django.po and compile them (needs GNU
# gettext); the compiled .mo files are committed (README, "The admin for city offices").
messages: export DEBUG ?= true
messages: install
	$(BIN)/python manage.py makemessages -l ru -l kk -l ur --no-location --ignore 'tests/*' --ignore 'bench/*' --ignore 'deploy/*' --ignore 'staticfiles/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv'

# Re-pin every package from requirements*.in (needs network access to PyPI).
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache $(NODE_CLIENT)/node_modules $(FIREBASE_TOOLS)/node_modules
