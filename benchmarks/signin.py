"""`python -m benchmarks.signin`: what a staff sign-in costs, wall clock and CPU, by outcome.

With Django's real password hasher (PBKDF2, as deployed), through the test client on a
throwaway SQLite database. It shows what sharelinks.auth promises: a wrong password for an
unknown username costs what one for a real account costs (no timing tells which usernames
exist), and a throttled try costs no hash and holds the worker for no longer than a page.
Best of a few rounds; compare the rows of one run, not runs on different machines.
"""

import tempfile
import time
import warnings
from collections.abc import Callable

from benchmarks.services import configure

ROUNDS = 3
CALLS = 3
PASSWORD = "correct horse battery staple"  # noqa: S105 (a throwaway account)


def best_per_call(fn: Callable[[], object]) -> tuple[float, float]:
    """Best of ROUNDS rounds of CALLS calls: (wall seconds, CPU seconds) per call."""
    best_wall = best_cpu = float("inf")
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(CALLS):
            fn()
        best_wall = min(best_wall, (time.perf_counter() - wall) / CALLS)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / CALLS)
    return best_wall, best_cpu


def run() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    # The login page names static files; no collectstatic here, so no manifest to ask.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    get_user_model().objects.create_user("maria", password=PASSWORD, is_staff=True)
    client = Client(REMOTE_ADDR="192.0.2.1", HTTP_HOST="localhost")
    login = "/admin/login/?next=/admin/"

    def attempt(username: str, password: str, status: int) -> Callable[[], None]:
        def post() -> None:
            response = client.post(login, {"username": username, "password": password})
            assert response.status_code == status, response.status_code
            client.logout()

        return post

    rows = {
        "right password": attempt("maria", PASSWORD, 302),
        "wrong password, real account": attempt("maria", "guess", 200),
        "wrong password, unknown username": attempt("nobody", "guess", 200),
    }
    with override_settings(SHARELINKS_LOGIN_FAILURE_LIMIT=10**9):  # first, nothing is throttled
        results = {name: best_per_call(fn) for name, fn in rows.items()}
    with override_settings(SHARELINKS_LOGIN_FAILURE_LIMIT=1):  # maria has failed: refused now
        throttled = best_per_call(attempt("maria", PASSWORD, 200))
    results["throttled (refused before any hash)"] = throttled
    print(f"hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}   best of {ROUNDS}x{CALLS}")
    print(f"{'sign-in':40} {'wall':>9} {'cpu':>9}")
    for name, (wall, cpu) in results.items():
        print(f"{name:40} {wall * 1000:7.1f}ms {cpu * 1000:7.1f}ms")


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at")  # no collectstatic for a benchmark
    with tempfile.TemporaryDirectory() as data_dir:
        configure(data_dir)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        run()


if __name__ == "__main__":
    main()
