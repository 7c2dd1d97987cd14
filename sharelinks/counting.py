"""Counting a download and logging a page view: one statement each on PostgreSQL.

A counted download must change the person's count (if a personal link), the share's count
and write the click row together, or none of them. On PostgreSQL that is one statement
(sharelinks.express: the person's conditional UPDATE, then the share's, and the click row's
INSERT), so a click costs one round trip, not one per row; the lock order is person, then
share, as everywhere else (sharelinks.people, the admin).

Clicks of a share without any download limit commit asynchronously
(`synchronous_commit = off`, for that transaction only): a crash may forget the last
fraction of a second of such downloads, and with them their click rows -- never a limit
passed, since a limited share or person always waits for its commit.

SQLite (the embedded default) runs the same rules through the ORM, row by row.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from sharelinks import express, mail, people
from sharelinks.codes import code_is_personal
from sharelinks.links import Link, link_find, link_find_writing
from sharelinks.models import Click, ClickOutcome, DeliveryKind, Recipient, RecipientState, Share
from sharelinks.prepared import statement_run
from sharelinks.rows import Maker
from sharelinks.visitors import Visitor


@dataclass(frozen=True)
class Counted:
    """A counted download: its click row, and the counts it left."""

    click: Click
    share_count: int
    person_count: int | None  # None: the general link
    networks: dict | str | None  # the person's networks as stored now (None: general link)


_TABLES = {
    "share": Share._meta.db_table,
    "person": Recipient._meta.db_table,
    "click": Click._meta.db_table,
}


_VIEW_SQL = """
WITH commit_mode AS (SELECT set_config('synchronous_commit', 'off', true)),
seen AS (
    UPDATE {person} SET view_count = view_count + 1
    WHERE id = %(person)s AND %(counts_view)s
)
INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
SELECT %(share)s, %(person)s, %(now)s, %(outcome)s, %(ip)s, %(agent)s, %(scanner)s
FROM commit_mode
""".format(**_TABLES)  # noqa: S608 (table names from the models; values are parameters)


# A GET's lookup and its "viewed" row in one statement (links.link_find_writing), by the
# code's kind: the row is written for whatever the code finds, committed without waiting
# for the disk as every page view, and amended (view_amend) where the page turns out to
# be another. A person's own page counts their views (not a scanner's).
_LOOKUP_VIEW_SQL = {
    False: """written AS (
    INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT s.id, NULL, %s, 'viewed', %s, %s, %s
    FROM {share} s, (SELECT set_config('synchronous_commit', 'off', true)) commit_mode
    WHERE s.code = %s
    RETURNING id
)""".format(**_TABLES),  # noqa: S608 (table names from the models; values are parameters)
    True: """seen AS (
    UPDATE {person} SET view_count = view_count + 1 WHERE code = %s AND NOT %s
), written AS (
    INSERT INTO {click} (share_id, recipient_id, at, outcome, client_ip, user_agent, scanner)
    SELECT r.share_id, r.id, %s, 'viewed', %s, %s, %s
    FROM {person} r, (SELECT set_config('synchronous_commit', 'off', true)) commit_mode
    WHERE r.code = %s
    RETURNING id
)""".format(**_TABLES),  # noqa: S608
}


def link_viewed(*, code: str, visitor: Visitor, now: datetime) -> tuple[Link | None, int | None]:
    """The link with this code and, on PostgreSQL, the id of the "viewed" row the same
    statement wrote: a GET's one round trip. Elsewhere the id is None and the caller
    records the view itself (view_record)."""
    if connection.vendor != "postgresql":
        return link_find(code), None
    personal = code_is_personal(code)
    params = [now, visitor.network, visitor.user_agent, visitor.scanner, code]
    if personal:
        params = [code, visitor.scanner, *params]
    return link_find_writing(code, _LOOKUP_VIEW_SQL[personal], params)


def view_amend(click_id: int, *, link: Link, visitor: Visitor, outcome: str | None) -> None:
    """The page link_viewed's row was written for turned out otherwise: the row gets that
    outcome, or goes (None: an answer that logs no view); a person's view, counted with
    it, is taken back."""
    rows = Click.objects.filter(pk=click_id)
    if outcome is None:
        rows.delete()
    else:
        rows.update(outcome=outcome)
    if link.person is not None and not visitor.scanner:
        Recipient.objects.filter(pk=link.person.pk).update(view_count=F("view_count") - 1)


def _row(link: Link, visitor: Visitor, now: datetime, outcome: str) -> dict:
    return {
        "share": link.share.pk,
        "person": link.person.pk if link.person else None,
        "now": now,
        "outcome": outcome,
        "ip": visitor.network,
        "agent": visitor.user_agent,
        "scanner": visitor.scanner,
    }


_CLICK_COLUMNS = [field.attname for field in Click._meta.concrete_fields]
_click_make = Maker(Click, _CLICK_COLUMNS)


def click_instance(link: Link, visitor: Visitor, now: datetime, pk: int) -> Click:
    """The row the statement wrote, as an instance (no query to read it back).

    Made as a query's row is, without Model.__init__ (sharelinks.rows), with the link's
    share and person as its related objects: Click(...)'s keyword arguments cost several
    times as much, on every download, which needs little more than the row's id.
    """
    person = link.person
    row = {
        "id": pk,
        "share_id": link.share.pk,
        "recipient_id": None if person is None else person.pk,
        "at": now,
        "outcome": ClickOutcome.REDIRECTED,
        "client_ip": visitor.network,
        "user_agent": visitor.user_agent,
        "scanner": visitor.scanner,
    }
    click = _click_make([row[name] for name in _CLICK_COLUMNS], DEFAULT_DB_ALIAS)
    Click.share.field.set_cached_value(click, link.share)
    Click.recipient.field.set_cached_value(click, person)
    return click


def download_count(*, link: Link, visitor: Visitor, now: datetime) -> Counted | None:
    """Count one download of the link and write its click row, or change nothing (None).

    Call inside transaction.atomic(): on a refusal by the share after the person counted,
    the transaction is marked for rollback, which undoes the person's count.
    """
    if connection.vendor != "postgresql":
        return _download_count_orm(link, visitor, now)
    found = express.download_count(code=link.code, visitor=visitor, now=now, vouched=True)
    if found is None:
        return None
    person, counted = link.person, found.person
    if person is not None:
        person.download_count, person.last_download_at = counted.download_count, now
        person.first_download_at = counted.first_download_at
    click = click_instance(link, visitor, now, found.click_id)
    if person is None:
        return Counted(click, found.share.download_count, None, None)
    return Counted(click, found.share.download_count, counted.download_count, counted.networks)


def _download_count_orm(link: Link, visitor: Visitor, now: datetime) -> Counted | None:
    """The same rules as separate conditional UPDATEs (person, then share) and an INSERT.

    The counts returned are the lookup's plus one: "first download" decisions rest on the
    outbox's unique constraint, not on these, so two racing first clicks still mail once.
    """
    person, share = link.person, link.share
    if person is not None:
        taken = Recipient.objects.filter(pk=person.pk, state=RecipientState.ACTIVE)
        if share.downloads_per_recipient is not None:  # read at click time
            taken = taken.filter(download_count__lt=share.downloads_per_recipient)
        counted = taken.update(
            download_count=F("download_count") + 1,
            last_download_at=now,
            first_download_at=Coalesce(F("first_download_at"), now),
        )
        if not counted:
            return None
        networks = None
        if visitor.network and not visitor.scanner:  # the row is locked now: read, then add
            taken = Recipient.objects.filter(pk=person.pk)
            networks = {
                **taken.values_list("networks", flat=True).get(),
                visitor.network: now.isoformat(),
            }
            taken.update(networks=networks)
        person.download_count += 1
        person.last_download_at, person.first_download_at = now, person.first_download_at or now
    counted = (
        Share.objects.filter(pk=share.pk)
        .active(now)
        .update(download_count=F("download_count") + 1, last_download_at=now)
    )
    if not counted:
        transaction.set_rollback(True)
        return None
    row = click_write(link=link, visitor=visitor, now=now, outcome=ClickOutcome.REDIRECTED)
    if person is None:
        return Counted(row, share.download_count + 1, None, None)
    networks = networks or person.networks
    return Counted(row, share.download_count + 1, person.download_count, networks)


def download_followup(
    *, link: Link, click: Click, first: bool, networks, visitor: Visitor, now: datetime
) -> None:
    """What a counted download sets off, in its transaction: the owner's email row (on the
    link's first download, or every one, as the share says) and, for a personal link used
    from many networks, the owner's warning. Only rows, published once committed (the
    download's email by the mail thread, after the answer)."""
    share, person = link.share, link.person
    mail.download_notify(share=share, click=click, first=first, person=person)
    if person is None or visitor.scanner:  # a scanner's fetch is no network of the person's
        return
    if people.person_networks_seen(person=person, networks=networks, now=now):
        mail.owner_notify(share=share, kind=DeliveryKind.FORWARDED, person=person)


def click_write(*, link: Link, visitor: Visitor, now: datetime, outcome: str) -> Click:
    """One row of the click log, through the ORM."""
    return Click.objects.create(
        share=link.share,
        recipient=link.person,
        at=now,
        outcome=outcome,
        client_ip=visitor.network,
        user_agent=visitor.user_agent,
        scanner=visitor.scanner,
    )


def view_record(*, link: Link, visitor: Visitor, now: datetime, outcome: str) -> None:
    """Log a GET of the page (or its refusal); a person's own page counts their views.

    On PostgreSQL one statement, committed without waiting for the disk: a page view
    decides no limit, so losing the last fraction of a second of them to a crash is fine.
    """
    counts_view = link.person is not None and outcome == ClickOutcome.VIEWED and not visitor.scanner
    if connection.vendor != "postgresql":
        click_write(link=link, visitor=visitor, now=now, outcome=outcome)
        if counts_view:
            Recipient.objects.filter(pk=link.person.pk).update(view_count=F("view_count") + 1)
        return
    params = _row(link, visitor, now, outcome)
    params["counts_view"] = counts_view
    statement_run(_VIEW_SQL, params)
