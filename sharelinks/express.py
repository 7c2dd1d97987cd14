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
runs it with `vouched` set. A statement that counted nothing changed nothing.

`at_once`: the statement commits by itself (no BEGIN, no COMMIT: one round trip instead of
three), so it counts only where no download limit applies, share-wide or per person, and
no forwarded-link warning is due for the person. It writes the owner's email row itself
when the share asks for one (its first download, per person, or every download): in the
same statement (through a function it calls only then), so the row exists exactly when the
count does, and the outbox's unique constraint (ON CONFLICT DO NOTHING) keeps "first" once
when two first clicks race. Without a limit the share can never refuse after the person
counted (its UPDATE then rechecks nothing: a staff change committed while the statement
ran is ordered after the click), and a click that commits although its request ended first
(its deadline passed while the statement waited on a lock) spends nobody's download; its
owner may then hear of a download whose answer was the 503 page, as the click log says it
was counted. Anything else counts nothing and is counted again in a transaction by the
caller. A click counted at once whose URL then cannot be signed is taken back, with its
email row, by download_uncount.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connection, transaction

from sharelinks.codes import code_is_personal
from sharelinks.conf import app_settings
from sharelinks.models import (
    BucketSurvey,
    Click,
    Delivery,
    DeliveryKind,
    NotifyDownloads,
    Recipient,
    RecipientState,
    Share,
)
from sharelinks.prepared import statement_run
from sharelinks.rows import Maker
from sharelinks.visitors import Visitor

_SHARE_FIELDS = list(Share._meta.concrete_fields)
_PERSON_FIELDS = list(Recipient._meta.concrete_fields)
# What a download counted at once is answered with: the link's code, the object to sign
# and the counts; the rest are deferred fields, which nothing answering the click reads. The
# last download's time is the statement's `now`, set rather than parsed (Django's loader of
# zoned times is Python).
_SHARE_BRIEF = [field for field in _SHARE_FIELDS if field.name in {
    "id", "code", "bucket", "key", "filename", "content_type", "download_count"}]  # fmt: skip
_PERSON_BRIEF = [field for field in _PERSON_FIELDS
                 if field.name in {"id", "share", "code", "download_count"}]  # fmt: skip

# The share's own rules (links.link_status, Share.status_at) and, unless the caller has
# checked them itself, no password and a file that is known to be there (presence).
_SHARE_OPEN = """s.revoked_at IS NULL AND s.expires_at > %(now)s
      AND (s.max_downloads IS NULL OR s.download_count < s.max_downloads)
      AND (%(vouched)s OR (s.password = '' AND s.missing_since IS NULL
        AND (NOT %(verify)s OR s.object_checked_at > %(fresh)s OR EXISTS (
          SELECT 1 FROM {survey} b
          WHERE b.bucket = s.bucket AND b.listed_at > %(fresh)s
            AND s.created_at < b.listed_at))))"""
# No limit, and, for a personal link, not about to be flagged as forwarded
# (people.person_networks_seen, in SQL).
_QUIET_SHARE = """(NOT %(at_once)s OR s.max_downloads IS NULL)"""
_QUIET_PERSON = """(NOT %(at_once)s OR (s.max_downloads IS NULL
      AND s.downloads_per_recipient IS NULL
      AND (%(network)s::text IS NULL OR r.forwarded_at IS NOT NULL OR (
        SELECT count(*) FROM jsonb_each_text(
          r.networks || jsonb_build_object(%(network)s::text, %(seen)s::text)) n
        WHERE n.value::timestamptz >= %(since)s) < %(forward_networks)s)))"""
# Read by the commit that ends this transaction (sharelinks.counting: why only these).
_ASYNC_IF_UNLIMITED = """set_config('synchronous_commit', CASE WHEN s.max_downloads IS NULL
    AND (p.id IS NULL OR s.downloads_per_recipient IS NULL) THEN 'off' ELSE 'on' END, true)"""

DOWNLOAD_EMAIL_FUNCTION = "sharelinks_download_email"  # made by migration 0018

# The owner's email about this download, written by a statement that counts at once
# (mail.download_notify's rules: the link's first download or every one, an owner with an
# address; "first" is once by the outbox's unique constraints) through a function called
# only when one is due (migration 0018 says why). {first} is the count that says "first":
# the person's on a personal link.
_NOTIFY = """CASE WHEN s.notify_downloads = '{every}'
        OR (s.notify_downloads = '{first_mode}' AND {first} = 1)
    THEN {function}(s.id, s.owner_id, p.id, c.id, CASE WHEN s.notify_downloads = '{every}'
        THEN '{kind_every}' ELSE '{kind_first}' END, %(now)s) END"""

_GENERAL_SQL = """
WITH s AS (
    UPDATE {share} s SET download_count = s.download_count + 1, last_download_at = %(now)s
    WHERE s.code = %(code)s AND s.general_link AND {share_open} AND {quiet_share}
    RETURNING {share_columns}
), c AS (
    INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT s.id, NULL, %(now)s, 'redirected', %(ip)s, %(agent)s, %(scanner)s FROM s
    RETURNING id
), p AS (SELECT NULL::bigint AS id)
SELECT {share_out}, c.id, {delivery_out}, {async_commit} FROM s, c, p
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
      AND {share_open} AND {quiet_person}
    RETURNING {person_columns}
), s AS (
    UPDATE {share} s SET download_count = s.download_count + 1, last_download_at = %(now)s
    FROM p WHERE s.id = p.share_id AND (%(at_once)s OR (s.revoked_at IS NULL
      AND s.expires_at > %(now)s
      AND (s.max_downloads IS NULL OR s.download_count < s.max_downloads)))
    RETURNING {share_columns}
), c AS (
    INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT s.id, p.id, %(now)s, 'redirected', %(ip)s, %(agent)s, %(scanner)s FROM s, p
    RETURNING id
)
SELECT {person_out}, {share_out}, c.id, {delivery_out}, {async_commit}
FROM p LEFT JOIN s ON true LEFT JOIN c ON true
"""


def _columns(alias: str, fields) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in fields)


def _fields(personal: bool, at_once: bool) -> tuple[list, list]:
    """The person's and the share's fields the statement answers with."""
    share = _SHARE_BRIEF if at_once else _SHARE_FIELDS
    return (_PERSON_BRIEF if at_once else _PERSON_FIELDS) if personal else [], share


def _statements() -> dict[tuple[bool, bool], str]:
    """The statements by (personal?, at once?), with the models' table and column names
    (never a request's value)."""
    names = {
        "share": Share._meta.db_table,
        "person": Recipient._meta.db_table,
        "click": Click._meta.db_table,
        "share_open": _SHARE_OPEN.format(survey=BucketSurvey._meta.db_table),
        "async_commit": _ASYNC_IF_UNLIMITED,
        "quiet_share": _QUIET_SHARE,
        "quiet_person": _QUIET_PERSON,
        "share_columns": _columns("s", _SHARE_FIELDS),
        "person_columns": _columns("r", _PERSON_FIELDS),
    }
    notify = {
        "function": DOWNLOAD_EMAIL_FUNCTION,
        "every": NotifyDownloads.EVERY,
        "first_mode": NotifyDownloads.FIRST,
        "kind_every": DeliveryKind.DOWNLOAD,
        "kind_first": DeliveryKind.FIRST_DOWNLOAD,
    }
    statements = {}
    for personal in (False, True):
        for at_once in (False, True):
            person_fields, share_fields = _fields(personal, at_once)
            first = "p.download_count" if personal else "s.download_count"
            out = {
                "share_out": _columns("s", share_fields),
                "person_out": _columns("p", person_fields),
                "delivery_out": _NOTIFY.format(**notify, first=first)
                if at_once
                else "NULL::bigint",
            }
            sql = _PERSON_SQL if personal else _GENERAL_SQL
            statements[personal, at_once] = sql.format(**names, **out)
    return statements


_SQL: dict[tuple[bool, bool], str] = {}  # built on first use


@dataclass(frozen=True)
class Found:
    """What a counting statement counted: the share and person as they are now, with the
    person's networks parsed, the id of the click row it wrote and of the owner's email row
    (counted at once only; None when no email is due)."""

    share: Share
    person: Recipient | None
    click_id: int
    delivery_id: int | None = None


# The instances a row begins with, indexed by at_once (the fields the row answers with).
_SHARE_MAKERS = [Maker(Share, [f.attname for f in fs]) for fs in (_SHARE_FIELDS, _SHARE_BRIEF)]
_PERSON_MAKERS = [
    Maker(Recipient, [f.attname for f in fs]) for fs in (_PERSON_FIELDS, _PERSON_BRIEF)
]


def download_count(
    *, code: str, visitor: Visitor, now: datetime, vouched: bool, at_once: bool = False
) -> Found | None:
    """Count one download of `code`, or change nothing (None). PostgreSQL only.

    Call inside transaction.atomic() unless at_once: when the share refuses after the person
    counted, the transaction is marked for rollback, which undoes the person's count.
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
        "at_once": at_once,
        "since": now - timedelta(seconds=app_settings.FORWARD_WINDOW),
        "forward_networks": app_settings.FORWARD_NETWORKS,
    }
    rows = statement_run(_SQL[personal, at_once], params)
    if not rows:
        return None  # unknown, refused or not vouched for: nothing was changed
    person_fields, share_fields = _fields(personal, at_once)
    row, person = rows[0], None
    if personal:
        person = _PERSON_MAKERS[at_once](row, DEFAULT_DB_ALIAS)
        row = row[len(person_fields) :]
        if row[0] is None:  # the share refused after the person counted: undo it
            transaction.set_rollback(True)
            return None
        if not at_once and isinstance(person.networks, str):
            person.networks = json.loads(person.networks)
    click_id, delivery_id = row[len(share_fields) : len(share_fields) + 2]
    share = _SHARE_MAKERS[at_once](row, DEFAULT_DB_ALIAS)
    if at_once:
        share.last_download_at = now
        if personal:
            person.last_download_at = now
    return Found(share, person, click_id, delivery_id)


_UNCOUNT_SQL = """
WITH d AS (
    DELETE FROM {delivery} WHERE click_id = %(click)s
), c AS (
    DELETE FROM {click} WHERE id = %(click)s RETURNING share_id, recipient_id
), p AS (
    UPDATE {person} r SET download_count = r.download_count - 1,
        first_download_at = CASE WHEN r.download_count = 1 THEN NULL ELSE r.first_download_at END,
        last_download_at = CASE WHEN r.download_count = 1 THEN NULL ELSE r.last_download_at END
    FROM c WHERE r.id = c.recipient_id
    RETURNING r.id
)
UPDATE {share} s SET download_count = s.download_count - 1,
    last_download_at = CASE WHEN s.download_count = 1 THEN NULL ELSE s.last_download_at END
FROM c LEFT JOIN p ON true WHERE s.id = c.share_id
"""


def download_uncount(found: Found) -> None:
    """Take back a download counted at once whose URL could not be signed: its click row
    and its owner's email row (not yet published) go, the counts go down by one (person
    first, then share), in one statement. A last download time stays where this click set
    it unless the count is back to zero."""
    names = {
        "delivery": Delivery._meta.db_table,
        "share": Share._meta.db_table,
        "person": Recipient._meta.db_table,
        "click": Click._meta.db_table,
    }
    statement_run(_UNCOUNT_SQL.format(**names), {"click": found.click_id})
