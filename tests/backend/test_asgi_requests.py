"""HTTP requests as the ASGI server runs them: how often a request moves between the event loop
and a thread, each move a wait for the loop's turn (long when it is busy with websockets)."""

import json

import pytest
from asgiref import sync
from channels.testing import HttpCommunicator

from backend.asgi import application


@pytest.fixture
def thread_hops(monkeypatch):
    """How many times code moved from the event loop to a thread (sync_to_async)."""
    hops = []
    original = sync.SyncToAsync.__call__

    async def call(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", call)
    return hops


@pytest.mark.django_db(transaction=True)
async def test_a_request_runs_its_middleware_in_one_thread(thread_hops):
    body = json.dumps({"query": "{ __typename }"}).encode()
    request = HttpCommunicator(
        application,
        "POST",
        "/graphql/",
        body=body,
        headers=[(b"host", b"testserver"), (b"content-type", b"application/json")],
    )

    response = await request.get_response()
    before_the_answer = list(thread_hops)
    await request.wait()  # the handler's clean-up after the answer (request_finished)

    assert response["status"] == 200
    assert json.loads(response["body"]) == {"data": {"__typename": "Query"}}
    # The request_started signal, the middleware, CSRF's view hook, the view.
    assert len(before_the_answer) <= 4, before_the_answer
