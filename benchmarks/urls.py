"""The project's routes plus a few for `make bench` only; never part of a deployment.

/bench/baseline answers through the same middleware as a click but touches no database:
the yardstick every row of the report is divided by. /bench/counts tells the bench how
many clicks and emails the measured requests left behind. /bench/floor/read/<code> and
/bench/floor/write/<code> are the least a click can cost on the same machine: one
prepared statement that finds the share by its code (read), or counts it and writes its
click row in one commit (write), then a 302 to a fixed URL -- no token, no rule beyond
"not withdrawn", no signing, no receipt. The distance from them to a download is what the
app's own work costs; the distance from the baseline to them, the database's round trip.
"""

import os

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path
from django.utils import timezone

from project import urls as project_urls
from sharelinks.models import Click, Share
from sharelinks.models.deliveries import ON_ITS_WAY
from sharelinks.prepared import statement_run

FLOOR_REDIRECT = "https://storage.example.com/object"
_FLOOR_READ = f"""
SELECT id, bucket, key FROM {Share._meta.db_table}
WHERE code = %(code)s AND general_link AND revoked_at IS NULL
"""  # noqa: S608 -- table names from the models; the code is a parameter
# As the click's own statement commits a download of a share without a limit: at once and
# asynchronously (sharelinks.counting). PostgreSQL only.
_FLOOR_WRITE = f"""
WITH s AS (
    UPDATE {Share._meta.db_table} SET download_count = download_count + 1,
        last_download_at = %(now)s
    WHERE code = %(code)s AND general_link AND revoked_at IS NULL
    RETURNING id, bucket, key
), c AS (
    INSERT INTO {Click._meta.db_table}
        (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT s.id, NULL, %(now)s, 'redirected', NULL, '', false FROM s
    RETURNING id
)
SELECT s.id, c.id, set_config('synchronous_commit', 'off', true) FROM s, c
"""  # noqa: S608 -- table names from the models; every value is a parameter


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


def floor(request: HttpRequest, code: str, write: bool) -> HttpResponse:
    """One statement by the link's code, then a 302 (404 for a code it does not find)."""
    if write:
        rows = statement_run(_FLOOR_WRITE, {"code": code, "now": timezone.now()})
    else:
        rows = statement_run(_FLOOR_READ, {"code": code})
    return HttpResponseRedirect(FLOOR_REDIRECT) if rows else HttpResponse(status=404)


# The project's routes themselves, not included under another level: a short link is
# resolved through as many resolvers as in production.
urlpatterns = [
    path("bench/baseline", baseline),
    path("bench/counts", counts),
    path("bench/floor/read/<str:code>", floor, {"write": False}),
    path("bench/floor/write/<str:code>", floor, {"write": True}),
    *project_urls.urlpatterns,
]
