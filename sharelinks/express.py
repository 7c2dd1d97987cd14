"""The one statement that counts a download on PostgreSQL: it finds the link by code,
checks every rule, counts it and writes its click row.

The rules are those of links.link_status, clicks and presence, written as WHERE clauses:
each UPDATE repeats them, so concurrent clicks never pass a limit (the database serialises
them on the row lock and each sees the count the one before left). Lock order as
everywhere: the person's row first (their UPDATE runs first, the share's UPDATE reads its
result), then the share's. Clicks of shares without any limit commit asynchronously
(sharelinks.counting explains why that is safe).

Two callers. The ordinary press of Download (valid token, no password, no receipt) runs it
before any lookup, with `vouched` unset: it then also requires no password and a file the
presence survey vouches for, and when it counts nothing the careful path finds out why.
The careful path (clicks.click_download, after checking the password and the file itself)
runs it with `vouched` set. Either way the statement changed nothing when it counted
nothing.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from sharelinks.codes import code_is_personal
from sharelinks.conf import app_settings
from sharelinks.models import BucketSurvey, Click, Recipient, RecipientState, Share
from sharelinks.prepared import statement_run
from sharelinks.visitors import Visitor

_SHARE_FIELDS = list(Share._meta.concrete_fields)
_PERSON_FIELDS = list(Recipient._meta.concrete_fields)

# The share's own rules (links.link_status, Share.status_at) and, unless the caller has
# checked them itself, no password and a file that is known to be there (presence).
_SHARE_OPEN = """s.revoked_at IS NULL AND s.expires_at > %(now)s
      AND (s.max_downloads IS NULL OR s.download_count < s.max_downloads)
      AND (%(vouched)s OR (s.password = '' AND s.missing_since IS NULL
        AND (NOT %(verify)s OR s.object_checked_at > %(fresh)s OR EXISTS (
          SELECT 1 FROM {survey} b
          WHERE b.bucket = s.bucket AND b.listed_at > %(fresh)s
            AND s.created_at < b.listed_at))))"""
# Read by the commit that ends this transaction (sharelinks.counting: why only these).
_ASYNC_IF_UNLIMITED = """set_config('synchronous_commit', CASE WHEN s.max_downloads IS NULL
    AND (p.id IS NULL OR s.downloads_per_recipient IS NULL) THEN 'off' ELSE 'on' END, true)"""

_GENERAL_SQL = """
WITH s AS (
    UPDATE {share} s SET download_count = s.download_count + 1, last_download_at = %(now)s
    WHERE s.code = %(code)s AND s.general_link AND {share_open}
    RETURNING {share_columns}
), c AS (
    INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT s.id, NULL, %(now)s, 'redirected', %(ip)s, %(agent)s, %(scanner)s FROM s
    RETURNING id
), p AS (SELECT NULL::bigint AS id)
SELECT {share_out}, c.id, {async_commit} FROM s, c, p
"""

_PERSON_SQL = """
WITH p AS (
    UPDATE {person} r
    SET download_count = r.download_count + 1, last_download_at = %(now)s,
        first_download_at = COALESCE(r.first_download_at, %(now)s),
        networks = CASE WHEN %(network)s::text IS NULL THEN r.networks
                   ELSE r.networks || jsonb_build_object(%(network)s::text, %(seen)s::text) END
    FROM {share} s
    WHERE r.code = %(code)s AND r.share_id = s.id AND r.state = %(active)s
      AND (s.downloads_per_recipient IS NULL OR r.download_count < s.downloads_per_recipient)
      AND {share_open}
    RETURNING {person_columns}
), s AS (
    UPDATE {share} s SET download_count = s.download_count + 1, last_download_at = %(now)s
    FROM p WHERE s.id = p.share_id AND s.revoked_at IS NULL AND s.expires_at > %(now)s
      AND (s.max_downloads IS NULL OR s.download_count < s.max_downloads)
    RETURNING {share_columns}
), c AS (
    INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT s.id, p.id, %(now)s, 'redirected', %(ip)s, %(agent)s, %(scanner)s FROM s, p
    RETURNING id
)
SELECT {person_out}, {share_out}, c.id, {async_commit}
FROM p LEFT JOIN s ON true LEFT JOIN c ON true
"""


def _columns(alias: str, fields) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in fields)


def _statements() -> dict[bool, str]:
    """Both statements, with the models' table and column names (never a request's value)."""
    names = {
        "share": Share._meta.db_table,
        "person": Recipient._meta.db_table,
        "click": Click._meta.db_table,
        "share_open": _SHARE_OPEN.format(survey=BucketSurvey._meta.db_table),
        "async_commit": _ASYNC_IF_UNLIMITED,
        "share_columns": _columns("s", _SHARE_FIELDS),
        "person_columns": _columns("r", _PERSON_FIELDS),
        "share_out": _columns("s", _SHARE_FIELDS),
        "person_out": _columns("p", _PERSON_FIELDS),
    }
    return {False: _GENERAL_SQL.format(**names), True: _PERSON_SQL.format(**names)}


_SQL: dict[bool, str] = {}  # personal? -> the statement, built on first use


@dataclass(frozen=True)
class Found:
    """What a counting statement counted: the share and person as they are now, with the
    person's networks parsed, and the id of the click row it wrote."""

    share: Share
    person: Recipient | None
    click_id: int


def _instance(model, fields, values):
    return model.from_db(
        connection.alias, [field.attname for field in fields], values[: len(fields)]
    )


def download_count(*, code: str, visitor: Visitor, now: datetime, vouched: bool) -> Found | None:
    """Count one download of `code`, or change nothing (None). PostgreSQL only.

    Call inside transaction.atomic(): when the share refuses after the person counted, the
    transaction is marked for rollback, which undoes the person's count.
    """
    personal = code_is_personal(code)
    if not _SQL:
        _SQL.update(_statements())
    params = {
        "code": code,
        "now": now,
        "vouched": vouched,
        "verify": app_settings.VERIFY_OBJECT_ON_CLICK,
        "fresh": now - timedelta(seconds=app_settings.VERIFY_OBJECT_CACHE),
        "ip": visitor.network,
        "agent": visitor.user_agent,
        "scanner": visitor.scanner,
        "active": RecipientState.ACTIVE,
        "network": None if visitor.scanner else visitor.network,
        "seen": now.isoformat(),
    }
    rows = statement_run(_SQL[personal], params)
    if not rows:
        return None  # unknown, refused or not vouched for: nothing was changed
    row, person = rows[0], None
    if personal:
        person = _instance(Recipient, _PERSON_FIELDS, row)
        row = row[len(_PERSON_FIELDS) :]
        if row[0] is None:  # the share refused after the person counted: undo it
            transaction.set_rollback(True)
            return None
        if isinstance(person.networks, str):
            person.networks = json.loads(person.networks)
    return Found(_instance(Share, _SHARE_FIELDS, row), person, row[len(_SHARE_FIELDS)])
