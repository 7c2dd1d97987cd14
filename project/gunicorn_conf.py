"""gunicorn's settings for sharelinks: `gunicorn -c python:project.gunicorn_conf project.wsgi`.

The repository's gunicorn.conf.py imports this module, so gunicorn started in a checkout
picks it up without -c. Options given on the command line still win.

- Sync workers: one request at a time, in the worker's main thread, which is where a
  short link's SHARELINKS_CLICK_DEADLINE can interrupt any wait (sharelinks.deadline).
  In gthread workers requests run in other threads and have no deadline.
- timeout: the last resort. The arbiter kills a worker that has been silent this long,
  whatever it was waiting on; the recipient then gets the load balancer's error page, not
  the app's 503. It must stay above the click deadline and the admin's longest page.
- Garbage collection: once a worker has loaded the app, what it loaded is frozen out of
  the collector's sight (post_worker_init), so that a full collection, which stops the
  request in progress, walks only what requests have added since.
- Logging: gunicorn's own error log ("Invalid request from ...: <the request line>",
  "Error handling request GET <path>" after a worker timeout) and its access log pass
  through the filter that redacts share codes, like every log line of the app.
"""

import gc

worker_class = "sync"
timeout = 30
graceful_timeout = 30
# The request line as sent, redacted by the filter below (the path in any spelling, the
# admin's ?q=); a format naming %(U)s or %(q)s is redacted the same way.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'

_REDACTED_STREAM = {"class": "logging.StreamHandler", "filters": ["redact_share_codes"]}

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_share_codes": {"()": "sharelinks.logfilters.RedactShareCodes"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {**_REDACTED_STREAM, "formatter": "generic", "stream": "ext://sys.stderr"},
        "access": {**_REDACTED_STREAM, "formatter": "access", "stream": "ext://sys.stdout"},
    },
    # Until Django configures its own LOGGING in each worker, and for gunicorn's loggers
    # after that (Django's configuration leaves them alone).
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}


def post_worker_init(worker) -> None:
    """Load the URLconf (the views and all they import), collect, then gc.freeze().

    A worker starts with about 100,000 objects the collector tracks (Django, the admin,
    botocore), and a full collection walks every one of them, with the request in
    progress waiting: 80-160 ms on a slow 2-CPU host, about every 12,000 requests, and
    35-50 ms with them frozen (docs/deployment.md).
    Frozen objects are never walked again (nor freed: nothing loaded at start is meant
    to go). The URLconf is loaded here, not by the first request, so that it is frozen too.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- the import is the point
    gc.collect()
    gc.freeze()
