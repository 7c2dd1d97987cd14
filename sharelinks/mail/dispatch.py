"""The broker hand-off: publish one send task per outbox row once the caller commits."""

import logging
import time
from collections.abc import Callable
from operator import itemgetter

from celery import current_app
from django.db import transaction

from sharelinks import deadline
from sharelinks.mail.messages import sending_units
from sharelinks.models import Delivery

logger = logging.getLogger(__name__)

SEND_TASK = "sharelinks.tasks.delivery_send"
BATCH_SEND_TASK = "sharelinks.tasks.deliveries_send"
FAN_OUT_TASK = "sharelinks.tasks.deliveries_fan_out"
# After a failed publish this process stops trying for a while and leaves new rows to the
# sweeper: a broker that drops packets instead of refusing would otherwise cost every click
# the full connection timeout. Monotonic seconds; 0 means "try".
BROKER_BACKOFF = 10.0
_broker_down_until = 0.0


def deliveries_dispatch(ids: list[int], *, on_unqueued: Callable[[], None] | None = None) -> None:
    """Publish one send task per row once the current transaction commits.

    Robust: whatever the publish raises is logged, never re-raised into a request whose
    change (a counted click, a saved share) has already been committed.
    """
    if ids:
        transaction.on_commit(lambda: _committed(ids, on_unqueued), robust=True)


def _committed(ids: list[int], on_unqueued: Callable[[], None] | None) -> None:
    # The cause is committed (a counted click): the request's deadline must not turn it
    # into a 503 now. The publish has bounds of its own (CELERY_BROKER_*, EMAIL_TIMEOUT).
    deadline.disarm()
    deliveries_publish(ids, on_unqueued=on_unqueued)


def deliveries_publish(
    ids: list[int],
    *,
    on_unqueued: Callable[[], None] | None = None,
    batched: bool = False,
    digests: list[list[int]] | None = None,
) -> bool:
    """Publish now; never raises, and a broker failure leaves the rows to the sweeper.

    The publish is one attempt with short socket timeouts (see CELERY_BROKER_* in settings):
    a click or a staff request must not wait on a broker that is down. Without a broker
    (eager mode) the send runs here; its errors are on the row and in the log, and must not
    turn a click that was already counted into a 500. `batched`: several ids go to the
    broker as one task that publishes a send task for each in the worker (the mail thread's
    way of paying one publish for many downloads). `digests`: groups of ids published as
    one batch task each, which sends each group as one digest (deliveries_fan_out).
    """
    global _broker_down_until
    # Looked up by name in the registry, not imported: tasks (an entry point) call the mail
    # services, and the services must not import their callers back.
    task = current_app.tasks[SEND_TASK]
    if task.app.conf.task_always_eager:
        return _send_here(ids)
    try:
        if time.monotonic() < _broker_down_until:
            raise ConnectionError("the broker failed moments ago; not trying again yet")
        for group in digests or ():
            current_app.tasks[BATCH_SEND_TASK].apply_async((group,), retry=False)
        if batched and len(ids) > 1:
            current_app.tasks[FAN_OUT_TASK].apply_async((ids,), retry=False)
        else:
            for pk in ids:
                task.apply_async((pk,), retry=False)
    except Exception as err:  # kombu, redis and socket errors alike: the row is the record
        _broker_down_until = max(_broker_down_until, time.monotonic() + BROKER_BACKOFF)
        logger.warning("emails %s stay pending for the sweeper: broker unavailable: %s", ids, err)
        if on_unqueued is not None:
            on_unqueued()
        return False
    _broker_down_until = 0.0
    return True


def deliveries_fan_out(ids: list[int]) -> bool:
    """In the worker, a batch a web process's mail thread handed over: one send task per
    email, except download emails to one address, which go as one batch task that sends
    them as one digest (messages.sending_units), as the mail thread does without a broker.

    A digest's passing failure leaves its rows due for the sweeper (the batch task has no
    retry of its own), as without a broker; single emails keep their task's backoff.
    """
    rows = (
        Delivery.objects.filter(pk__any=ids).order_by("pk").values_list("pk", "kind", "recipient")
    )
    units = sending_units(list(rows), itemgetter(1), itemgetter(2))
    singles = [unit[0][0] for unit in units if len(unit) == 1]
    digests = [[pk for pk, _, _ in unit] for unit in units if len(unit) > 1]
    if not singles and not digests:
        return True
    return deliveries_publish(singles, digests=digests)


def _send_here(ids: list[int]) -> bool:
    """Without a broker: send the emails in this process, as one batch over one connection
    to the mail server (outbox.deliveries_send), where one that fails (its error is on its
    row and in the log) keeps none of the others back.

    Run without a trip through kombu: apply_async would open a producer on the default
    (absent) broker first, and warn "No hostname was supplied" for every email.
    """
    try:
        current_app.tasks[BATCH_SEND_TASK].apply((ids,))
    except Exception:
        logger.exception("emails %s: sending without a broker failed for some", ids)
        return False
    return True
