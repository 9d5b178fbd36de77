# The production image: both web tiers (gunicorn for HTTP, uvicorn for websockets), the Celery
# worker and beat run from it, each with its own command; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files (admin, GraphiQL) are collected at build time, as `make static` collects them, and
# served by WhiteNoise; the server refuses to start without them (backend/checks.py).
# The key below exists only for this build step; the container gets SECRET_KEY at run time.
# /var/lib/twinning/metrics and /var/lib/twinning/media are where docker-compose.yml mounts the
# volumes for the processes' shared metrics and the uploaded pictures; created here so that the
# volumes start out owned by the app's user.
RUN SECRET_KEY=collectstatic-only DEBUG=false python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 --home-dir /app twinning \
    && mkdir -p /var/lib/twinning/metrics /var/lib/twinning/media \
    && chown twinning /var/lib/twinning/metrics /var/lib/twinning/media

USER twinning
# The HTTP tier on 8000, the websocket tier on 8001 (docker-compose.yml's ports).
EXPOSE 8000 8001

# The HTTP tier, the same command as `make serve-http` and docker-compose.yml's http service,
# listening on every interface of the container; the other services give their own command.
CMD ["gunicorn", "--config", "python:backend.gunicorn", "--bind", "0.0.0.0:8000", "backend.wsgi:application"]
