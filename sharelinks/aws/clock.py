"""The storage's clock, learned from the Date header of the responses S3 already sends.

S3 judges a presigned URL by its own time. A server whose clock lags 3 minutes dates a
60-second URL 3 minutes in the past, and S3 answers the click with "Request has expired";
one that runs ahead dates its URLs in the future, which S3 refuses as not yet valid.
botocore corrects its own requests after a RequestTimeTooSkewed error, but a presigned URL
is never sent by botocore, so no error ever reaches it. Every S3 answer -- a 404 HEAD as
much as a 200 -- carries a Date, so the offset is learned from the traffic the app has
anyway and signatures are dated by now() instead of the local clock.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import mktime_tz, parsedate_tz

logger = logging.getLogger(__name__)

# A Date a day away is a broken proxy or a replayed answer, not a clock to follow.
MAX_SKEW = 86400.0
# An answer that took longer than this says too little about when its Date was written.
MAX_ROUND_TRIP = 10.0
# A change of the learned offset by more than this is logged for the operator.
NOTEWORTHY_CHANGE = 5.0


class StorageClock:
    """Local time corrected by what the storage's Date headers prove about its clock.

    Each answer bounds the offset: the storage wrote its Date (whole seconds, rounded
    down) between the moment the request left and the moment the answer came back, so
    the offset lies in [Date - received, Date + 1 - sent]. Overlapping bounds are
    intersected, which narrows the estimate below the header's one-second resolution as
    answers come in; bounds that no longer overlap mean a clock was stepped, and the
    newest wins. While the bounds include zero the clocks agree as far as S3 can tell,
    and nothing is corrected.
    """

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._bounds: tuple[float, float] | None = None
        self._offset = 0.0
        self._sent = threading.local()  # botocore sends and receives on the calling thread

    def now(self) -> datetime:
        """The storage's current time, as far as its answers tell it (UTC)."""
        return datetime.fromtimestamp(self._wall() + self._offset, UTC)

    def skew_seconds(self) -> float:
        """How far the storage's clock runs ahead of this server's (negative: behind)."""
        return self._offset

    def observe(self, date_header: str, *, received_at: float, round_trip: float) -> bool:
        """Learn from one answer's Date; True when it was trusted.

        received_at is this server's wall time when the answer arrived, round_trip the
        seconds since its request left (by the monotonic clock).
        """
        parsed = parsedate_tz(date_header) if date_header else None
        if parsed is None or not 0 <= round_trip <= MAX_ROUND_TRIP:
            return False
        written = mktime_tz(parsed)
        low, high = written - received_at, written + 1 - (received_at - round_trip)
        if abs(low + high) / 2 > MAX_SKEW:
            logger.warning("ignored an S3 Date %r: a day or more from this clock", date_header)
            return False
        bounds = self._bounds
        if bounds is not None and low <= bounds[1] and bounds[0] <= high:
            low, high = max(low, bounds[0]), min(high, bounds[1])
        self._bounds = low, high
        offset = 0.0 if low <= 0 <= high else (low + high) / 2
        if abs(offset - self._offset) > NOTEWORTHY_CHANGE:
            logger.warning("the storage's clock is %+.1f s from this server's", offset)
        self._offset = offset
        return True

    def forget(self) -> None:
        """Drop what earlier answers taught: the offset is zero until the next answer."""
        self._bounds = None
        self._offset = 0.0

    def register(self, target) -> None:
        """Learn from every S3 response of target: a botocore/boto3 client or session.

        A session passes the hooks on to the clients it makes afterwards, not to older ones.
        Registering twice is harmless.
        """
        events = _event_emitter(target)
        tag = f"sharelinks.aws.clock.{id(self)}"
        events.register("before-send.s3", self._before_send, unique_id=f"{tag}.sent")
        events.register("response-received.s3", self._received, unique_id=f"{tag}.received")

    def _before_send(self, **kwargs) -> None:
        self._sent.at = time.monotonic()  # must return None: a value would replace the reply

    def _received(self, response_dict=None, **kwargs) -> None:
        # Called for every attempt, retries and error answers included; None when no
        # answer came (a timeout, a refused connection).
        sent_at = getattr(self._sent, "at", None)
        self._sent.at = None
        if response_dict is None or sent_at is None:
            return
        self.observe(
            response_dict["headers"].get("Date", ""),
            received_at=self._wall(),
            round_trip=time.monotonic() - sent_at,
        )


def _event_emitter(target):
    if hasattr(target, "meta"):  # a client
        return target.meta.events
    if hasattr(target, "events"):  # a boto3 session
        return target.events
    return target.get_component("event_emitter")  # a botocore session


storage_clock = StorageClock()


def now() -> datetime:
    """The storage's current time (UTC), from the process's one StorageClock."""
    return storage_clock.now()


def skew_seconds() -> float:
    """How far the storage's clock runs ahead of this server's, in seconds."""
    return storage_clock.skew_seconds()


def forget() -> None:
    """Start over as a fresh process would, with no offset and nothing learned."""
    storage_clock.forget()


def register(target) -> None:
    """Let the process's clock learn from target's S3 responses (a client or a session)."""
    storage_clock.register(target)
