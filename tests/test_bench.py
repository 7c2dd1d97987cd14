"""The bench's pure helpers: reading wrk, writing its request files, reading the runs.

Nothing here times anything: `make bench` measures, the suite only checks its arithmetic.
"""

import dataclasses
import socketserver
import threading
from pathlib import Path

import pytest

from benchmarks import click, endpoints, fill, headload, printout, report, wrk
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


def test_every_endpoint_is_measured_between_two_runs_of_its_own_tools_baseline():
    large = click.SIZES[-1][0]
    runs = click.alternated(list(ENDPOINTS))

    targets = [e for e in ENDPOINTS if e.role != endpoints.BASELINE]
    for i, (run, size) in enumerate(runs):
        assert size == large
        if run.role != endpoints.BASELINE:
            assert runs[i - 1] == runs[i + 1] == (endpoints.baseline_of(run), large)
    assert sorted(e.name for e, _ in runs if e.role != endpoints.BASELINE) == sorted(
        e.name for e in targets
    )
    tools = {e.tool for e in targets}
    assert len(runs) == 2 * len(targets) + len(tools)  # one closing baseline per tool


def test_a_paired_download_runs_on_the_small_table_right_after_the_large_one():
    small, large = click.SIZES[0][0], click.SIZES[-1][0]
    chosen = [BASELINE_ENDPOINT, PAGE, GET]

    runs = click.alternated(chosen, [GET])

    base = (BASELINE_ENDPOINT, large)
    assert runs == [base, (PAGE, large), base, (GET, large), base, (GET, small), base]


def test_head_and_its_baseline_are_sent_by_headload_and_the_rest_by_wrk():
    by_name = {e.name: e for e in ENDPOINTS}

    assert by_name["HEAD /s/<code>"].tool == endpoints.HEADLOAD
    assert endpoints.baseline_of(by_name["HEAD /s/<code>"]).method == "HEAD"
    assert endpoints.baseline_of(by_name["POST /s/<person>"]) == BASELINE_ENDPOINT
    assert {e.tool for e in ENDPOINTS if e.method != "HEAD"} == {endpoints.WRK}


def test_the_large_table_measures_everything_where_the_targets_are_judged():
    postgres = {broker: chosen for broker, _, _, chosen, _ in click.plan("postgresql")}
    sqlite = {broker: chosen for broker, _, _, chosen, _ in click.plan("sqlite")}

    floors = [e for e in ENDPOINTS if e.role == endpoints.FLOOR]
    assert [e.name for e in floors] == ["floor: read", "floor: write"]
    assert postgres["none"] == list(ENDPOINTS)  # the floors once: PostgreSQL, no broker
    assert postgres["redis"] == sqlite["none"] == [e for e in ENDPOINTS if e not in floors]
    publishing = [BASELINE_ENDPOINT, next(e for e in ENDPOINTS if e.pool == endpoints.FRESH)]
    assert postgres["down"] == sqlite["redis"] == publishing
    assert "down" not in sqlite


def test_the_small_table_measures_the_repeat_downloads_of_each_set_up_that_has_them():
    paired = {
        (database, broker): [e.name for e in chosen]
        for database in click.DATABASES
        for broker, _, _, _, chosen in click.plan(database)
    }

    repeat = ["POST /s/<code>", "POST /s/<person>"]  # the small table has no first download
    assert paired == {
        ("postgresql", "none"): repeat,
        ("postgresql", "redis"): repeat,
        ("postgresql", "down"): [],
        ("sqlite", "none"): repeat,
        ("sqlite", "redis"): [],
    }


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


def test_an_endpoints_rounds_make_one_row_read_against_the_baselines_around_each():
    rounds = [
        measure(BASELINE_ENDPOINT, rps=400, p50=1, p99=10),
        measure(GET, rps=200, p50=4, p99=20, clicks=1000),
        measure(BASELINE_ENDPOINT, rps=400, p50=1, p99=10),
        measure(OTHER, rps=300),
        measure(BASELINE_ENDPOINT, rps=200, p50=1, p99=30),  # the machine slowed down
        measure(GET, rps=100, p50=8, p99=40, clicks=500),
        measure(BASELINE_ENDPOINT, rps=200, p50=1, p99=30),
        measure(OTHER, rps=100),
        measure(BASELINE_ENDPOINT, rps=200, p50=1, p99=30),
    ]

    base, get, other = report.rows(rounds, 200_000)

    assert [row.endpoint.name for row in (base, get, other)] == [
        "baseline",
        "POST /s/<code>",
        "GET /s/<code>",
    ]
    assert (get.rps, get.base_rps) == (150, 300)  # 200 and 100; 400, 400, 200 and 200
    assert get.rps_ratio == pytest.approx(0.5)
    assert (get.p50_ms, get.p99_ms) == (6, 30)  # the means of its runs'
    assert get.p99_ratio == pytest.approx(30 / 30)  # over the group's median baseline p99
    assert other.rps_ratio == pytest.approx(200 / 250)
    assert report.baseline_drift(rounds) == (0.5, 1.0)


def test_a_head_row_is_read_against_the_baseline_headload_sent():
    head = next(e for e in ENDPOINTS if e.name == "HEAD /s/<code>")
    head_base = endpoints.baseline_of(head)
    group = [
        measure(BASELINE_ENDPOINT, rps=400, p99=10),
        measure(GET, rps=100, clicks=500),
        measure(BASELINE_ENDPOINT, rps=400, p99=10),
        measure(head_base, rps=300, p99=8),
        measure(head, rps=150, p99=20),
        measure(head_base, rps=200, p99=12),
    ]

    rows = report.rows(group, 200_000)

    assert [row.endpoint.name for row in rows] == [
        "baseline",
        "POST /s/<code>",
        "baseline HEAD",
        "HEAD /s/<code>",
    ]
    base, get, head_base_row, head_row = rows
    assert get.rps_ratio == pytest.approx(100 / 400)
    assert head_base_row.rps == pytest.approx(250)
    assert head_row.rps_ratio == pytest.approx(150 / 250)
    assert head_row.p99_ratio == pytest.approx(20 / 10)  # median of 8 and 12
    assert report.baseline_drift(group) == (pytest.approx(200 / 300), 1.0)
    assert "HEAD /s/<code>: wrk cannot read" in printout.notes(rows)[0]
    assert printout.notes([base, get]) == []


def test_the_floors_are_reported_with_a_note_and_judged_by_no_target():
    floors = [e for e in ENDPOINTS if e.role == endpoints.FLOOR]
    group = [measure(BASELINE_ENDPOINT, rps=400)]
    for floor in floors:
        group += [measure(floor, rps=200), measure(BASELINE_ENDPOINT, rps=400)]

    rows = report.rows(group, 200_000)

    assert [row.rps_ratio for row in rows[1:]] == [0.5, 0.5]
    assert printout.notes(rows)[0].startswith("floor: read, floor: write: one prepared statement")
    assert report.verdicts(rows, [], (1_000, 200_000)) == [
        "n/a   landing page no slower than the download: no page was measured"
    ]


def test_the_page_is_judged_against_the_fastest_download_beside_it():
    person = next(e for e in ENDPOINTS if e.name == "POST /s/<person>")
    group = [
        measure(BASELINE_ENDPOINT, rps=400),
        measure(PAGE, rps=150),
        measure(BASELINE_ENDPOINT, rps=400),
        measure(GET, rps=120, clicks=600),
        measure(BASELINE_ENDPOINT, rps=400),
        measure(person, rps=160, clicks=800),
        measure(BASELINE_ENDPOINT, rps=400),
    ]
    large = report.rows(group, 200_000)

    lines = [line for line in report.verdicts(large, [], (1_000, 200_000)) if "GET" in line]

    assert len(lines) == 1
    assert lines[0].startswith("FAIL")
    assert "the fastest download, POST /s/<person>, 160" in lines[0]


def test_verdicts_judge_the_counted_download_on_postgresql_only():
    measurements = []
    for conns in (2, 4):
        measurements += [
            measure(BASELINE_ENDPOINT, 200_000, conns, rps=400, p99=10),
            measure(GET, 200_000, conns, rps=180, p50=5, p99=60),
            measure(BASELINE_ENDPOINT, 200_000, conns, rps=400, p99=10),
            measure(GET, 1_000, conns, rps=100, p50=5, p99=60),
            measure(BASELINE_ENDPOINT, 200_000, conns, rps=400, p99=10),
        ]
    small, large = report.rows(measurements, 1_000), report.rows(measurements, 200_000)

    lines = report.verdicts(large, report.growth(small, large), (1_000, 200_000))

    assert [line.split()[0] for line in lines] == ["PASS", "PASS", "n/a", "FAIL", "PASS", "PASS"]
    assert "req/s 0.45 of baseline" in lines[0]
    assert "p99 6.00x baseline p99" in lines[3]
    assert "1.00x p50 at 1,000" in lines[4]


def test_the_small_tables_run_is_read_against_the_baselines_around_it_and_paired_by_set_up():
    measurements = [
        measure(BASELINE_ENDPOINT, 200_000, rps=400, p50=1.0),
        measure(GET, 200_000, rps=160, p50=6),
        measure(BASELINE_ENDPOINT, 200_000, rps=200, p50=1.4),  # the machine slowed down
        measure(GET, 1_000, rps=100, p50=5),
        measure(BASELINE_ENDPOINT, 200_000, rps=300, p50=0.6),
    ]
    other = [  # another set-up: its large run must not be read against this small run
        measure(BASELINE_ENDPOINT, 200_000, rps=400),
        measure(GET, 200_000, p50=50),
        measure(BASELINE_ENDPOINT, 200_000, rps=400),
    ]
    other = [dataclasses.replace(m, broker="none") for m in other]

    small = report.rows(measurements + other, 1_000)
    large = report.rows(measurements + other, 200_000)
    (pair,) = report.growth(small, large)

    assert [row.endpoint.name for row in small] == ["baseline", "POST /s/<code>"]
    assert small[1].rps_ratio == pytest.approx(100 / 250)  # the two baseline runs around it
    assert large[1].rps_ratio == pytest.approx(160 / 300)
    assert (pair.small.p50_ms, pair.large.p50_ms) == (5, 6)
    assert pair.ratio == pytest.approx(1.2)  # as measured
    # Each over the p50 of its own baseline runs: 6 / 1.2 against 5 / 1.0.
    assert pair.relative == pytest.approx(1.0)
    (verdict,) = [
        line for line in report.verdicts(large, [pair], (1_000, 200_000)) if "p50" in line
    ]
    assert verdict.startswith("PASS")
    assert "1.00x p50 at 1,000, each over its baselines' (1.20x as measured" in verdict
    assert report.baseline_drift(measurements) == (0.5, 1.5)


def test_fill_keeps_each_shares_count_the_sum_of_its_peoples_and_general_links():
    plans = [fill.share_plan(n, fresh=40) for n in range(200)]

    sent = [count for count, to_people in plans if to_people]
    general = [count for count, to_people in plans if not to_people]
    assert len(sent) == 200 // fill.PEOPLE_EVERY
    assert set(sent) == {sum(fill.PERSON_COUNTS)}  # their general link is off: 0 from it
    assert general.count(0) == 40  # the fresh ones, all on general links
    assert set(general) == {0, 1}
    assert fill.PERSON_COUNTS.count(1) == fill.PERSON_COUNTS.count(0)  # half downloaded before


def test_fill_makes_no_fresh_share_when_none_is_due():
    assert {fill.share_plan(n, fresh=0) for n in range(30)} == {(1, False), (1, True)}


def test_headload_cuts_line_k_out_of_a_request_file():
    file = headload.RequestFile(endpoints.requests_text(["/s/a\t", "/s/abc\tx=1"]).encode())

    assert file.lines == 2
    assert (file.path(0), file.path(1)) == ("/s/a", "/s/abc")
    with pytest.raises(ValueError, match="one width"):
        headload.RequestFile(b"/s/a\n/s/abc\n")


def test_headload_sends_a_head_that_closes_its_connection():
    request = headload.head_request("/s/abc", 8000, list(endpoints.COMMON_HEADERS))

    assert request.startswith(b"HEAD /s/abc HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: ")
    assert request.endswith(b"\r\nConnection: close\r\n\r\n")


@pytest.mark.parametrize(
    ("values", "p50", "p99"),
    [([], 0, 0), ([7], 7, 7), (list(range(1, 101)), 50, 99), (list(range(1, 201)), 100, 198)],
)
def test_headload_percentiles_are_nearest_rank(values, p50, p99):
    assert headload.percentile(values, 50) == p50
    assert headload.percentile(values, 99) == p99


def test_headload_result_line_reads_as_a_wrk_result():
    tally = headload.Tally(latencies_us=[1000, 3000, 2000])
    tally.errors["status"], tally.errors["read"] = 1, 2

    parsed = wrk.parse(headload.result_line([tally, headload.Tally()], 2_000_000), headload.MARK)

    assert (parsed.requests, parsed.seconds, parsed.p50_ms, parsed.max_ms) == (3, 2.0, 2.0, 3.0)
    assert parsed.failed == 3


class _HeadServer(socketserver.ThreadingTCPServer):
    """Answers every request with the given head: a Content-Length and no body, as HEAD is."""

    daemon_threads = True

    def __init__(self, head: bytes) -> None:
        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                self.wfile.write(head)
                self.rfile.read()  # hold the connection open until the client closes it

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.mark.parametrize(
    ("status", "failed"), [(b"200 OK", 0), (b"303 See Other", 0), (b"404 Not Found", 1)]
)
def test_headload_reads_a_head_answer_without_waiting_for_a_body(status, failed):
    head = b"HTTP/1.1 " + status + b"\r\nContent-Length: 5000\r\n\r\n"
    with _HeadServer(head) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        tally = headload.Tally()

        headload.one_request(headload.head_request("/s/abc", port, []), port, tally)
        server.shutdown()

    assert len(tally.latencies_us) == 1  # answered, not a timeout
    assert tally.errors["status"] == failed
    assert sum(tally.errors.values()) == failed
