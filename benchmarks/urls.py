"""The project's routes plus two for `make bench` only; never part of a deployment.

/bench/baseline answers through the same middleware as a click but touches no database:
the yardstick every row of the report is divided by. /bench/counts tells the bench how
many clicks and emails the measured requests left behind.
"""

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from project import urls as project_urls
from sharelinks.models import Share
from sharelinks.models.deliveries import ON_ITS_WAY


def baseline(request: HttpRequest) -> HttpResponse:
    """A tiny answer: routing, middleware and gunicorn, nothing else."""
    return HttpResponse(b"ok", content_type="text/plain")


def counts(request: HttpRequest) -> JsonResponse:
    """Click rows and owner emails so far (reached through Share, wherever they live), those
    not sent yet, and which worker answered: the bench asks until every worker has, so that
    none is still busy with a request wrk left behind."""
    clicks = Share._meta.get_field("clicks").related_model
    emails = Share._meta.get_field("deliveries").related_model
    return JsonResponse(
        {
            "clicks": clicks.objects.count(),
            "emails": emails.objects.count(),
            "unsent": emails.objects.filter(status__in=ON_ITS_WAY).count(),
            "worker": os.getpid(),
        }
    )


# The project's routes themselves, not included under another level: a short link is
# resolved through as many resolvers as in production.
urlpatterns = [
    path("bench/baseline", baseline),
    path("bench/counts", counts),
    *project_urls.urlpatterns,
]
