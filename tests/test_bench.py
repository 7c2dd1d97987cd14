"""The bench's pure helpers: reading wrk, writing its request files, reading the runs.

Nothing here times anything: `make bench` measures, the suite only checks its arithmetic.
"""

from pathlib import Path

import pytest

from benchmarks import click, endpoints, report, wrk
from benchmarks.endpoints import BASELINE_ENDPOINT, ENDPOINTS, Endpoint

WRK_OUTPUT = (
    "Running 5s test @ http://127.0.0.1:41234\n"
    "  1640 requests in 5.00s, 1.01MB read\n"
    "  Non-2xx or 3xx responses: 3\n"
    "Requests/sec:    327.91\n"
    "WRK_RESULT requests=1640 duration_us=5001412 p50_us=11250 p99_us=48020 max_us=90112"
    " status=3 connect=0 read=1 write=0 timeout=0\n"
)

GET = next(e for e in ENDPOINTS if e.name == "POST /s/<code>")  # the counted download
PAGE = next(e for e in ENDPOINTS if e.name == "GET /s/<code>")
OTHER = PAGE  # a second target row


def result(rps: float = 100.0, p50: float = 5.0, p99: float = 20.0, failed: int = 0):
    return wrk.Result(
        requests=int(rps * 5),
        seconds=5.0,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=p99 * 2,
        errors={"status": failed, "connect": 0, "read": 0, "write": 0, "timeout": 0},
    )


def measure(endpoint: Endpoint, size: int = 200_000, connections: int = 2, **kwargs):
    clicks = kwargs.pop("clicks", 0)
    return report.Measurement(
        "postgresql", size, "redis", connections, endpoint, result(**kwargs), clicks=clicks
    )


def test_wrk_result_line_gives_rate_percentiles_and_every_failure():
    parsed = wrk.parse(WRK_OUTPUT)

    assert parsed.requests == 1640
    assert parsed.rps == pytest.approx(1640 / 5.001412)
    assert (parsed.p50_ms, parsed.p99_ms) == (11.25, 48.02)
    assert parsed.failed == 4  # three answers >= 400 and one read error


@pytest.mark.parametrize(
    "output",
    ["Requests/sec: 327.91\n", "WRK_RESULT requests=10 duration_us=5000000 p50_us=1\n"],
)
def test_wrk_output_without_a_complete_result_line_is_an_error(output):
    with pytest.raises(ValueError, match="WRK_RESULT"):
        wrk.parse(output)


def test_wrk_command_passes_method_file_and_headers_to_the_script():
    args = wrk.command(
        "http://127.0.0.1:8000",
        "POST",
        Path("requests.tsv"),
        connections=4,
        seconds=5,
        headers=endpoints.FORM,
    )

    assert args[-4:] == ["http://127.0.0.1:8000", "--", "POST", "requests.tsv"]
    assert "--connections=4" in args
    assert "--duration=5s" in args
    assert "Content-Type: application/x-www-form-urlencoded" in args


def test_request_lines_fill_in_the_code_and_a_token():
    post = Endpoint("POST", "POST", endpoints.DOWNLOADED, endpoints.DOWNLOAD, body="t={token}")

    assert endpoints.request_line(PAGE, "abc") == "/s/abc\t"
    assert endpoints.request_line(post, "abc", "ABC") == "/s/abc\tt=ABC"
    assert endpoints.request_line(BASELINE_ENDPOINT) == "/bench/baseline\t"


def test_request_lines_refuse_what_the_lua_script_cannot_cut_out():
    with pytest.raises(ValueError, match="printable ASCII"):
        endpoints.request_line(PAGE, "a\tb")


def test_request_file_lines_all_have_one_width():
    text = endpoints.requests_text(["/s/a\t", "/s/abc\tx=1"])

    assert text.splitlines() == ["/s/a\t     ", "/s/abc\tx=1"]
    assert len(text) % len(text.splitlines()[0] + "\n") == 0


def test_every_endpoint_is_measured_between_two_baseline_runs():
    runs = click.alternated(list(ENDPOINTS))

    targets = [e for e in ENDPOINTS if e.role != endpoints.BASELINE]
    assert runs[1::2] == targets
    assert set(runs[0::2]) == {BASELINE_ENDPOINT}
    assert len(runs) == 2 * len(targets) + 1


def test_rows_read_rate_against_the_baselines_around_and_p99_against_the_median():
    group = [
        measure(BASELINE_ENDPOINT, rps=400, p99=10),
        measure(GET, rps=150, p99=40, clicks=750),
        measure(BASELINE_ENDPOINT, rps=200, p99=30),
        measure(OTHER, rps=100),
        measure(BASELINE_ENDPOINT, rps=200, p99=30),
    ]

    base, get, other = report.rows(group, 200_000)

    assert (base.rps, base.p99_ms) == (pytest.approx(800 / 3), 30)
    assert get.rps_ratio == pytest.approx(150 / 300)
    assert get.p99_ratio == pytest.approx(40 / 30)  # one quick baseline run does not count
    assert other.rps_ratio == pytest.approx(100 / 200)
    assert report.baseline_drift(group) == (0.5, 1.0)


def test_verdicts_judge_the_counted_download_on_postgresql_only():
    measurements = []
    for size in (1_000, 200_000):
        for conns in (2, 4):
            measurements += [
                measure(BASELINE_ENDPOINT, size, conns, rps=400, p99=10),
                measure(GET, size, conns, rps=100 if size == 1_000 else 180, p50=5, p99=60),
                measure(BASELINE_ENDPOINT, size, conns, rps=400, p99=10),
            ]
    small, large = report.rows(measurements, 1_000), report.rows(measurements, 200_000)

    lines = report.verdicts(large, report.growth(small, large), (1_000, 200_000))

    assert [line.split()[0] for line in lines] == ["PASS", "PASS", "n/a", "FAIL", "PASS", "PASS"]
    assert "req/s 0.45 of baseline" in lines[0]
    assert "p99 6.00x baseline p99" in lines[3]
    assert "1.00x p50 at 1,000" in lines[4]
