"""Share status: one rule, the same in Python (status_at) and in SQL (with_status)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from sharelinks.models import Share, ShareStatus
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def shares(now):
    return {
        ShareStatus.ACTIVE: ShareFactory(body=False, max_downloads=3, download_count=2),
        ShareStatus.EXPIRED: ShareFactory(body=False, expires_at=now - timedelta(seconds=1)),
        ShareStatus.REVOKED: ShareFactory(
            body=False, revoked_at=now, expires_at=now - timedelta(days=1)
        ),
        ShareStatus.EXHAUSTED: ShareFactory(body=False, max_downloads=1, download_count=1),
    }


def test_status_in_python_and_in_sql_agree(shares, now):
    for status, share in shares.items():
        assert share.status_at(now) == status
        assert list(Share.objects.with_status(status, now)) == [share]


def test_revocation_wins_over_expiry_and_expiry_over_exhaustion(now):
    share = ShareFactory.build(
        expires_at=now - timedelta(days=1), max_downloads=1, download_count=1
    )
    assert share.status_at(now) == ShareStatus.EXPIRED
    share.revoked_at = now
    assert share.status_at(now) == ShareStatus.REVOKED


def test_a_share_expires_at_its_exact_moment(now):
    share = ShareFactory.build(expires_at=now)
    assert share.status_at(now - timedelta(microseconds=1)) == ShareStatus.ACTIVE
    assert share.status_at(now) == ShareStatus.EXPIRED


def test_codes_are_made_by_the_server_and_unique():
    first, second = ShareFactory(body=False), ShareFactory(body=False)
    assert len(first.code) == 22
    assert first.code != second.code
    assert first.path == f"/s/{first.code}"


def test_a_zero_download_limit_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        ShareFactory(body=False, max_downloads=0)


def test_model_methods_change_only_their_own_row(now):
    share, other = ShareFactory(body=False), ShareFactory(body=False)
    share.revoke(now)
    share.extend(now + timedelta(days=30))
    other.refresh_from_db()
    assert other.revoked_at is None
    share.refresh_from_db()
    assert share.revoked_at == now
    assert share.expires_at == now + timedelta(days=30)
    share.reinstate()
    share.refresh_from_db()
    assert share.revoked_at is None
