"""Celery settings: each task ends before its broker gives up on it; a hung broker is cut short."""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from project.celery import app as celery_app
from sharelinks.mail import outbox
from sharelinks.models import Delivery, DeliveryKind, DeliveryStatus
from tests.brokers import broker, silent_server
from tests.factories import ShareFactory

# RabbitMQ closes the channel of a consumer that holds an unacked message this long (its
# default consumer_timeout, in seconds); with late acks every task is unacked while it runs.
RABBITMQ_CONSUMER_TIMEOUT = 1800


def sharelinks_tasks() -> list:
    celery_app.loader.import_default_modules()
    return [task for name, task in celery_app.tasks.items() if name.startswith("sharelinks.")]


def hard_limit(task) -> int:
    return task.time_limit or celery_app.conf.task_time_limit


def test_every_task_ends_before_rabbitmqs_default_consumer_timeout():
    limits = {task.name: hard_limit(task) for task in sharelinks_tasks()}
    assert "sharelinks.tasks.clicks_purge" in limits
    assert max(limits.values()) < RABBITMQ_CONSUMER_TIMEOUT, limits


def test_a_retry_waits_and_runs_within_rabbitmqs_default_consumer_timeout():
    longest_retry = settings.SHARELINKS_EMAIL_RETRY_MAX + settings.CELERY_TASK_TIME_LIMIT
    assert longest_retry < RABBITMQ_CONSUMER_TIMEOUT


@pytest.mark.parametrize("retry_max", ["60", "1200", "3600"])
def test_redis_visibility_timeout_outlasts_the_longest_task_and_the_longest_retry(
    retry_max, tmp_path
):
    code = (
        "import json; from project import settings as s; print(json.dumps(["
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.CELERY_LONGEST_TASK]))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SHARELINKS_DATA_DIR": str(tmp_path),
        "SHARELINKS_EMAIL_RETRY_MAX": retry_max,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    visibility, longest = json.loads(result.stdout.splitlines()[-1])
    assert visibility > longest
    assert visibility > int(retry_max) + settings.CELERY_TASK_TIME_LIMIT
    assert longest >= max(hard_limit(task) for task in sharelinks_tasks())


@pytest.mark.django_db
def test_a_hung_broker_makes_the_publish_give_up_not_hang(settings):
    # How long giving up takes is `make bench`'s to measure; here: the publish returns,
    # leaves the row to the sweeper, and its wait is bounded by two-second socket timeouts.
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (2, 2)
    assert options["max_retries"] == 0
    row = Delivery.objects.create(
        share=ShareFactory(), kind=DeliveryKind.LINK, recipient="ann@example.org"
    )
    with silent_server() as port, broker(f"redis://127.0.0.1:{port}/0"):
        assert outbox.deliveries_publish([row.pk]) is False
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING
