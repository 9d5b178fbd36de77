"""Error reporting to Sentry, when SENTRY_DSN is set (settings call ``init_sentry``).

Nothing personal leaves: no user, IP address or cookies (``send_default_pii=False``), and no
request bodies at all, since GraphQL bodies carry passwords and tokens inside ``variables``
and the query text, where Sentry's scrubbing of known keys does not look. Each event carries
the request ID (or Celery task ID) its log lines have, to go from one to the other.
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from .logs import request_id_var, task_id_var


def init_sentry(dsn: str, environment: str, traces_sample_rate: float) -> None:
    """Start the Sentry SDK with the Django and Celery integrations."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        before_send=tag_with_ids,
    )


def tag_with_ids(event, hint):
    """Tags an event with the IDs the log lines of its request or task have."""
    tags = event.setdefault("tags", {})
    if request_id := request_id_var.get():
        tags["request_id"] = request_id
    if task_id := task_id_var.get():
        tags["task_id"] = task_id
    return event
