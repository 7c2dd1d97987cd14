"""Celery tasks: thin wrappers that take ids and call a service; the services hold the rules."""

import logging

from celery import shared_task
from celery.exceptions import Retry

from sharelinks import mail, maintenance, retention, uploads

logger = logging.getLogger(__name__)

# The purge stops starting batches this many seconds before its soft time limit, so even a
# slow last batch ends before the limit interrupts it.
PURGE_BUDGET_MARGIN = 300


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def delivery_send(self, delivery_id: int) -> None:
    """Send one outbox email; on a passing SMTP failure, come back after the backoff.

    Safe to run twice (acks_late redelivery, a sweep, a duplicate publish): the service's
    claim lets only one run send. In eager mode a failure is left to the sweeper instead of
    being retried inline, which would ignore the backoff.
    """
    retry_in = mail.delivery_send(delivery_id=delivery_id)
    if retry_in is None or self.request.is_eager:
        return
    try:
        self.retry(countdown=retry_in)
    except Retry:
        raise
    except Exception as err:  # broker gone: the row is pending and due, the sweeper has it
        logger.warning("email %s: retry not queued (%s); left for the sweeper", delivery_id, err)


@shared_task(ignore_result=True)
def deliveries_send(delivery_ids: list[int]) -> None:
    """Send a batch of outbox emails here, over one connection to the mail server: without
    a broker, where the process that queued them sends them (mail.dispatch), and in the
    worker for download emails to one address that go as one digest. A passing failure
    leaves its row due again for the sweeper, as in eager mode anywhere."""
    mail.deliveries_send(delivery_ids=delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def deliveries_fan_out(delivery_ids: list[int]) -> bool:
    """Publish the send tasks of a batch a web process's mail thread handed over: one per
    email, one per digest (mail.deliveries_fan_out).

    Publishing from the worker spares the web process one publish per email; a broker that
    fails here leaves the rows pending for the sweeper, as anywhere else.
    """
    return mail.deliveries_fan_out(delivery_ids)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Publish again the emails nobody is working on (broker was down, worker died)."""
    return mail.deliveries_sweep()


@shared_task(ignore_result=True)
def expiry_reminders_queue() -> int:
    """Remind owners of shares that expire within SHARELINKS_EXPIRY_REMINDER."""
    return maintenance.expiry_reminders_queue()


# Time limits of the two long jobs are in CELERY_TASK_ANNOTATIONS (project settings), beside
# the broker timeouts that must outlast them.
@shared_task(bind=True, ignore_result=True)
def clicks_purge(self) -> int:
    """Delete click rows older than SHARELINKS_CLICK_RETENTION_DAYS, stopping before the limit.

    The purge deletes in batches, each one final, so stopping early loses nothing: the next
    night's run goes on where this one stopped.
    """
    limit = self.soft_time_limit or self.app.conf.task_soft_time_limit
    return maintenance.clicks_purge(budget=max(limit - PURGE_BUDGET_MARGIN, 0) if limit else None)


@shared_task(ignore_result=True)
def objects_check() -> dict:
    """HEAD the objects of active shares, least recently checked first; flag missing ones."""
    return maintenance.objects_check().as_dict()


@shared_task(ignore_result=True)
def uploads_purge() -> dict:
    """Delete uploaded files whose every share ended SHARELINKS_UPLOAD_RETENTION ago."""
    return retention.uploads_purge().as_dict()


@shared_task(ignore_result=True)
def counters_purge() -> int:
    """Delete throttle counters whose window has ended."""
    return maintenance.counters_purge()


@shared_task(ignore_result=True)
def uploads_abort_stale() -> int:
    """Abort browser uploads started more than SHARELINKS_UPLOAD_ABANDON_AFTER ago."""
    return uploads.uploads_abort_stale()
