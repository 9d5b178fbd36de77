"""bench/serving.py's ``--scenario push-wave``: the minute after an announcement to many devices.

A sending process does what a Celery worker does with the announcement (``dispatch.fan_out``,
with firebase-admin sending to the fake FCM server, set up as bench/push_fanout.py sets it up)
while 16 connections fetch the announced event by ``event(id)`` from the HTTP tier, as the
people pushed open the app. The same fetching is measured for as long before the announcement,
with nothing being sent, to compare.
"""

import multiprocessing
import time
import traceback

from bench import push_fanout
from bench.support import expect

WAVE_TIMEOUT = 600


def sender(config: dict, pipe) -> None:
    """Seed the audience and a draft, announce it, tell the event's ID, and on ``go`` send the
    announcement to every device as a worker would; report the sending's figures."""
    try:
        push_fanout.setup_django(config)
        push_fanout.use_fake_fcm()
        from notifications import dispatch
        from notifications.models import Delivery

        push_fanout.check_seed_columns()
        # The bench's own world, as bench/push_fanout.py has it, instead of the demo data.
        push_fanout.reset_database()
        world = push_fanout.World()
        world.grow_audience(config["devices"])
        push_fanout._warm_up(config["fake_url"])
        notification = world.announce()
        pipe.send(("ready", notification.event_id))
        if pipe.recv() != "go":
            return
        started = time.perf_counter()
        dispatch.fan_out(notification.pk)
        seconds = time.perf_counter() - started
        sent = Delivery.objects.filter(
            notification=notification, status=Delivery.Status.SENT
        ).count()
        pipe.send(("done", {"seconds": seconds, "sent": sent}))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def _expect(pipe, what: str, timeout: float = WAVE_TIMEOUT):
    return expect(pipe, what, timeout, "the sender")


def run(config: dict, topology_class, measure, ports) -> dict:
    """The HTTP tier (``backend/gunicorn.py``) serving ``event(id)`` of the announced event,
    before and while the announcement is sent."""
    from bench.serving import app_environment, global_id

    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    fake = context.Process(target=push_fanout.serve_fake, args=(urls, stop))
    fake.start()
    sending = None
    topology = None
    try:
        fake_url = urls.get(timeout=60)
        wave_config = {
            "database": config["database"],
            "fake_url": fake_url,
            "senders": 1,
            "devices": config["devices"],
        }
        pipe, child_pipe = context.Pipe()
        sending = context.Process(target=sender, args=(wave_config, child_pipe))
        sending.start()
        child_pipe.close()
        event_id = _expect(pipe, "ready")
        environment = app_environment(config)
        topology = topology_class("gunicorn", config, environment, ports).start()
        ids = [event_id]
        quiet = measure(topology, "event", {**config, "seconds": config["wave_seconds"]}, ids)
        pipe.send("go")
        # The quiet minute warmed the same requests: measure from the announcement on.
        wave = measure(
            topology, "event", {**config, "seconds": config["wave_seconds"], "warmup": 0}, ids
        )
        sent = _expect(pipe, "done")
        stats = push_fanout.fake_call(fake_url, "/bench/stats")
        return {
            "event": global_id("Event", event_id),
            "devices": config["devices"],
            "quiet": quiet,
            "during_sending": wave,
            "sending": {
                **sent,
                "messages_per_second": sent["sent"] / sent["seconds"],
                "fake_messages": stats["messages"],
            },
        }
    finally:
        if topology is not None:
            topology.stop()
        if sending is not None:
            sending.join(30)
            if sending.is_alive():
                sending.kill()
        stop.set()
        fake.join(10)
        if fake.is_alive():
            fake.kill()
