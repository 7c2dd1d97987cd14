"""Celery tasks: thin wrappers that take ids and call a service; the services hold the rules."""

import logging

from celery import shared_task
from celery.exceptions import Retry

from sharelinks import maintenance, outbox

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def delivery_send(self, delivery_id: int) -> None:
    """Send one outbox email; on a passing SMTP failure, come back after the backoff.

    Safe to run twice (acks_late redelivery, a sweep, a duplicate publish): the service's
    claim lets only one run send. In eager mode a failure is left to the sweeper instead of
    being retried inline, which would ignore the backoff.
    """
    retry_in = outbox.delivery_send(delivery_id=delivery_id)
    if retry_in is None or self.request.is_eager:
        return
    try:
        self.retry(countdown=retry_in)
    except Retry:
        raise
    except Exception as err:  # broker gone: the row is pending and due, the sweeper has it
        logger.warning("email %s: retry not queued (%s); left for the sweeper", delivery_id, err)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Publish again the emails nobody is working on (broker was down, worker died)."""
    return outbox.deliveries_sweep()


@shared_task(ignore_result=True)
def expiry_reminders_queue() -> int:
    """Remind owners of shares that expire within SHARELINKS_EXPIRY_REMINDER."""
    return maintenance.expiry_reminders_queue()


@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=1860)
def clicks_purge() -> int:
    """Delete click rows older than SHARELINKS_CLICK_RETENTION_DAYS."""
    return maintenance.clicks_purge()


# One run HEADs OBJECT_CHECK_BATCH objects at OBJECT_CHECK_RATE per second (50 s by
# default); the limit leaves room for a slow S3 without letting a stuck run pile up.
@shared_task(ignore_result=True, soft_time_limit=840, time_limit=900)
def objects_check() -> dict:
    """HEAD the objects of active shares, least recently checked first; flag missing ones."""
    return maintenance.objects_check().as_dict()
