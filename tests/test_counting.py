"""The counting statement: person, share and click row together or not at all; the commit
waits for the disk only where a limit depends on it."""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from sharelinks import counting, express, people
from sharelinks.links import link_find
from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryKind, DeliveryStatus, Share
from sharelinks.visitors import Visitor
from tests.factories import ShareFactory
from tests.recipient import page_token
from tests.test_people import two_people

pytestmark = pytest.mark.django_db

BROWSER = Visitor(network="198.51.100.0", user_agent="Mozilla/5.0", scanner=False)


def commit_mode_after_counting(link) -> str:
    """What PostgreSQL will do at this transaction's commit, asked inside it."""
    with transaction.atomic():
        counted = counting.download_count(link=link, visitor=BROWSER, now=timezone.now())
        assert counted is not None
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('synchronous_commit')")
            return cursor.fetchone()[0]


def test_a_share_that_refuses_after_the_person_counted_undoes_the_persons_count():
    share, sato, _ = two_people(max_downloads=1)
    link = link_find(sato.code)  # looked up while one download was left...
    Share.objects.filter(pk=share.pk).update(download_count=1)  # ...then another took it
    with transaction.atomic():
        assert counting.download_count(link=link, visitor=BROWSER, now=timezone.now()) is None
    sato.refresh_from_db()
    assert sato.download_count == 0
    assert not Click.objects.filter(outcome=ClickOutcome.REDIRECTED).exists()


def test_a_counted_download_returns_the_row_it_wrote_and_the_counts_it_left():
    share, sato, _ = two_people()
    with transaction.atomic():
        counted = counting.download_count(
            link=link_find(sato.code), visitor=BROWSER, now=timezone.now()
        )
    row = Click.objects.get(pk=counted.click.pk)
    assert (row.share_id, row.recipient_id, row.outcome) == (share.pk, sato.pk, "redirected")
    assert (row.client_ip, row.user_agent, row.scanner) == ("198.51.100.0", "Mozilla/5.0", False)
    assert (counted.share_count, counted.person_count) == (1, 1)
    sato.refresh_from_db()
    assert "198.51.100.0" in sato.networks
    assert sato.first_download_at == sato.last_download_at == row.at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("personal", [False, True], ids=["general link", "personal link"])
def test_a_download_counted_at_once_hands_back_what_the_database_now_holds(personal):
    # The statement sends back only what answering needs, and the time it wrote is set on
    # the instances rather than read back: both must agree with the rows.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share, sato, _ = two_people()
    if not personal:
        Share.objects.filter(pk=share.pk).update(general_link=True)
    code, now = (sato.code if personal else share.code), timezone.now()
    found = express.download_count(code=code, visitor=BROWSER, now=now, vouched=True, at_once=True)
    link = link_find(code)
    assert (found.share.pk, found.share.code, found.share.key) == (share.pk, share.code, share.key)
    assert found.share.download_count == link.share.download_count == 1
    assert found.share.last_download_at == link.share.last_download_at == now
    if personal:
        assert (found.person.pk, found.person.download_count) == (sato.pk, 1)
        assert found.person.last_download_at == link.person.last_download_at == now
    click = counting.click_instance(link, BROWSER, now, found.click_id)
    row = Click.objects.get(pk=found.click_id)
    assert (click.share, click.recipient) == (link.share, link.person)
    assert [getattr(click, f.attname) for f in Click._meta.concrete_fields] == [
        getattr(row, f.attname) for f in Click._meta.concrete_fields
    ]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("terms", "mode"),
    [({}, "off"), ({"max_downloads": 5}, "on"), ({"downloads_per_recipient": 2}, "on")],
    ids=["no limit", "share-wide limit", "per-person limit"],
)
def test_only_clicks_of_unlimited_shares_commit_without_waiting_for_the_disk(terms, mode):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    _, sato, _ = two_people(**terms)
    assert commit_mode_after_counting(link_find(sato.code)) == mode


@pytest.mark.postgres
def test_the_general_link_of_a_limited_share_waits_for_the_disk():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    assert commit_mode_after_counting(link_find(ShareFactory(max_downloads=3).code)) == "on"
    assert commit_mode_after_counting(link_find(ShareFactory().code)) == "off"


@pytest.mark.postgres
@pytest.mark.parametrize("personal", [False, True], ids=["general link", "personal link"])
def test_a_press_of_download_is_one_statement_on_postgresql(client, personal):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    from django.test.utils import CaptureQueriesContext

    share, sato, _ = two_people(notify_downloads="never")
    share.general_link = True
    share.save()
    path = sato.path if personal else share.path
    token = page_token(client.get(path))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, {"token": token})
    assert response.status_code == 303
    # The test's own transaction wraps the click's in a savepoint; in a request it is BEGIN.
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1, [statement[:80] for statement in statements]


@pytest.mark.postgres
@pytest.mark.parametrize("personal", [False, True], ids=["general link", "personal link"])
def test_a_download_counted_at_once_whose_url_cannot_be_signed_is_taken_back(
    client, settings, personal, django_capture_on_commit_callbacks
):
    # The ordinary press commits its count by itself before signing (sharelinks.express,
    # at_once). Signing then fails for real: a presigner setting the app refuses.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    # A first download: the statement also wrote the owner's email row, which goes too.
    share, sato, _ = two_people(notify_downloads="first")
    Share.objects.filter(pk=share.pk).update(general_link=True)
    path = sato.path if personal else share.path
    token = page_token(client.get(path))
    settings.SHARELINKS_PRESIGNER = "by-hand"
    response = client.post(path, {"token": token})
    assert response.status_code == 503
    assert b"Please try again in a minute" in response.content
    share.refresh_from_db()
    sato.refresh_from_db()
    assert (share.download_count, share.last_download_at) == (0, None)
    assert (sato.download_count, sato.first_download_at, sato.last_download_at) == (0, None, None)
    outcomes = list(share.clicks.exclude(outcome=ClickOutcome.VIEWED).values_list("outcome"))
    assert outcomes == [(ClickOutcome.UNAVAILABLE,)]
    assert not Delivery.objects.exists()
    assert mail.outbox == []
    settings.SHARELINKS_PRESIGNER = "builtin"
    with django_capture_on_commit_callbacks(execute=True):  # what a commit would publish
        assert client.post(path, {"token": token}).status_code == 303
    share.refresh_from_db()
    assert share.download_count == 1
    assert [message.to for message in mail.outbox] == [["tanaka@example.com"]]


@pytest.mark.postgres
def test_the_counting_statement_is_planned_once_per_connection(client):
    # Django turns psycopg's preparing off; sharelinks.prepared turns it on for its own
    # statements only, so the server keeps their plan and Django's queries stay unprepared.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share = ShareFactory(notify_downloads="never")
    token = page_token(client.get(share.path))
    for _ in range(2):
        assert client.post(share.path, {"token": token}).status_code == 303
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("UPDATE sharelinks_share s SET download_count" in sql for sql in prepared)
    assert not any("pg_prepared_statements" in sql for sql in prepared)


@pytest.mark.postgres
@pytest.mark.parametrize("personal", [False, True], ids=["general link", "personal link"])
def test_a_look_at_the_page_is_one_statement_with_its_row_on_postgresql(client, personal):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    from django.test.utils import CaptureQueriesContext

    share, sato, _ = two_people()
    # The file checked a moment ago: the page asks S3 nothing (sharelinks.presence).
    Share.objects.filter(pk=share.pk).update(general_link=True, object_checked_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(sato.path if personal else share.path).status_code == 200
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1, [statement[:80] for statement in statements]
    assert list(share.clicks.values_list("outcome", "recipient")) == [
        (ClickOutcome.VIEWED, sato.pk if personal else None)
    ]
    sato.refresh_from_db()
    assert sato.view_count == (1 if personal else 0)


def test_a_page_that_turns_out_refused_leaves_one_row_of_its_own_and_no_view(client):
    # On PostgreSQL the lookup writes a "viewed" row at once; the page it turns out to be
    # amends it. Either way: one row per GET, saying what the person saw.
    share, sato, ito = two_people()
    people.person_withdraw(person=ito)
    assert client.get(ito.path).status_code == 410
    assert client.get(sato.path).status_code == 200
    rows = share.clicks.order_by("pk").values_list("recipient", "outcome")
    assert list(rows) == [
        (ito.pk, ClickOutcome.PERSON_WITHDRAWN),
        (sato.pk, ClickOutcome.VIEWED),
    ]
    ito.refresh_from_db()
    sato.refresh_from_db()
    assert (ito.view_count, sato.view_count) == (0, 1)


def test_a_direct_link_fetched_by_get_logs_the_download_and_no_view(client):
    share = ShareFactory(direct_download=True)
    assert client.get(share.path).status_code == 302
    assert list(share.clicks.values_list("outcome", flat=True)) == [ClickOutcome.REDIRECTED]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("terms", "personal", "at_once"),
    [
        ({}, False, True),
        ({}, True, True),
        ({"max_downloads": 5}, False, False),
        ({"max_downloads": 5}, True, False),
        ({"downloads_per_recipient": 2}, True, False),
    ],
    ids=["general, no limit", "personal, no limit", "general, share-wide limit",
         "personal, share-wide limit", "personal, per-person limit"],
)  # fmt: skip
def test_only_downloads_without_a_limit_are_counted_at_once(client, terms, personal, at_once):
    # Counted at once, a click whose request gave up (its deadline passed while the
    # statement waited on a lock) may still commit: only where no download depends on it.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share, sato, _ = two_people(notify_downloads="never", **terms)
    Share.objects.filter(pk=share.pk).update(general_link=True)
    link = sato if personal else share
    found = express.download_count(
        code=link.code, visitor=BROWSER, now=timezone.now(), vouched=True, at_once=True
    )
    assert (found is not None) == at_once
    share.refresh_from_db()
    assert share.download_count == (1 if at_once else 0)
    token = page_token(client.get(link.path))
    assert client.post(link.path, {"token": token}).status_code == 303  # in a transaction
    share.refresh_from_db()
    assert share.download_count == (2 if at_once else 1)


def counted_at_once(link):
    """The ordinary press's statement, counting at once (it commits by itself)."""
    return express.download_count(
        code=link.code, visitor=BROWSER, now=timezone.now(), vouched=True, at_once=True
    )


@pytest.mark.postgres
@pytest.mark.parametrize("personal", [False, True], ids=["general link", "personal link"])
def test_a_first_download_counted_at_once_writes_the_owners_email_row_with_it(personal):
    # The row is written by the counting statement itself: it exists exactly when the count
    # does, and "first" is the link's first (the person's, on a personal link).
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share, sato, ito = two_people(notify_downloads="first")
    Share.objects.filter(pk=share.pk).update(general_link=True)
    link = sato if personal else share
    found = counted_at_once(link)
    row = Delivery.objects.get()
    assert found.delivery_id == row.pk
    assert (row.kind, row.recipient, row.status) == (
        DeliveryKind.FIRST_DOWNLOAD,
        "tanaka@example.com",
        DeliveryStatus.PENDING,
    )
    assert (row.share_id, row.person_id, row.click_id) == (
        share.pk,
        sato.pk if personal else None,
        found.click_id,
    )
    assert counted_at_once(link).delivery_id is None  # the second download: no email
    if personal:  # another person's first download is theirs to announce
        assert counted_at_once(ito).delivery_id is not None
    assert Delivery.objects.count() == (2 if personal else 1)


@pytest.mark.postgres
def test_a_first_email_queued_by_a_racing_click_is_not_queued_twice():
    # Two first clicks that both saw a count of zero: the outbox's unique constraint keeps
    # one row, and the statement that lost still counts the download.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share = ShareFactory(notify_downloads="first")
    Delivery.objects.create(share=share, kind=DeliveryKind.FIRST_DOWNLOAD, recipient="x@e.com")
    found = counted_at_once(share)
    assert found is not None
    assert found.delivery_id is None
    assert Delivery.objects.count() == 1
    share.refresh_from_db()
    assert share.download_count == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("mode", "owner_email", "emails"),
    [("every", "o@corp.example", 3), ("never", "o@corp.example", 0), ("first", "", 0)],
    ids=["every download", "never", "owner without an address"],
)
def test_the_statement_counting_at_once_emails_the_owner_as_the_share_says(
    mode, owner_email, emails
):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share = ShareFactory(notify_downloads=mode, owner__email=owner_email)
    for _ in range(3):
        assert counted_at_once(share) is not None
    rows = list(Delivery.objects.values_list("kind", "recipient"))
    assert rows == [(DeliveryKind.DOWNLOAD, owner_email)] * emails


@pytest.mark.postgres
def test_a_download_rewrites_its_shares_row_in_place_even_on_a_full_page():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    # Shares are written one after another until their pages are full, and every download
    # rewrites its share's row (count, time). The table leaves room on each page, so the
    # new version stays on its page and no index of the share table is written
    # (PostgreSQL's heap-only update), however many shares were created after it.
    first, *_ = [ShareFactory(body=False, note="n" * 100) for _ in range(80)]
    before = share_updates()
    with transaction.atomic():
        counted = counting.download_count(
            link=link_find(first.code), visitor=BROWSER, now=timezone.now()
        )
    assert counted is not None
    updated, in_place = (
        after - earlier for after, earlier in zip(share_updates(), before, strict=True)
    )
    assert (updated, in_place) == (1, 1)


def share_updates() -> tuple[int, int]:
    """Rows of the share table this transaction updated so far, and how many in place."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass),"
            " pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [Share._meta.db_table] * 2,
        )
        return cursor.fetchone()


def test_the_click_log_keeps_one_index_by_share():
    # Each click's statement inserts into every index of the click table; the one by share
    # and time serves every query by share, so there is no second one on share alone.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Click._meta.db_table)
    by_share = [
        c["columns"] for c in constraints.values() if c["index"] and c["columns"][0] == "share_id"
    ]
    assert by_share == [["share_id", "at"]]
