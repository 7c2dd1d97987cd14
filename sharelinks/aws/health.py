"""What /healthz may ask the aws package: answered from memory, never by a request.

See sharelinks.aws.watch for where the memory comes from. The one exception is a
background thread that looks for the credentials again (see credentials_health), so the
probe itself never waits on the network.
"""

import threading

from sharelinks.aws import client, watch

_recheck_lock = threading.Lock()


def credentials_health() -> tuple[bool, str]:
    """(usable, why not): whether this process can sign, as far as it knows without asking.

    Read from the last time the credentials were used. A process that has not looked for
    them yet, or whose last failure is CREDENTIALS_RETRY old, looks again in a background
    thread: a process out of the balancer's rotation gets no click that would find
    working credentials for it.
    """
    if client._session is None:
        _recheck_soon()
        return True, "not looked for yet"
    problem = watch.credentials_problem()
    if problem is None:
        return True, ""
    failure, ago = problem
    if ago >= client.CREDENTIALS_RETRY:
        _recheck_soon()
    return False, failure


def storage_health() -> tuple[str, str]:
    """("ok" | "unreachable" | "unknown", detail) from this process's last S3 request."""
    return watch.storage_state()


def _recheck_soon() -> None:
    if _recheck_lock.acquire(blocking=False):  # one recheck at a time
        threading.Thread(target=_recheck, name="sharelinks-credentials", daemon=True).start()


def _recheck() -> None:
    try:
        client._signing_snapshot()  # asks the chain again when due, refreshes when due
    except client.StorageUnavailable as err:
        watch.credentials_failed(str(err))
    else:
        watch.credentials_worked()
    finally:
        _recheck_lock.release()
