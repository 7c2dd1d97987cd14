"""The bench's printed report: the one table, p50 against table size, the verdicts."""

from benchmarks.endpoints import BASELINE, FLOOR, WRK
from benchmarks.report import (
    Growth,
    Measurement,
    Row,
    baseline_drift,
    growth,
    rows,
    verdicts,
)


def table(rows_: list[Row]) -> str:
    """The one table: a line per (database, broker, connections, endpoint)."""
    head = (
        f"{'database':<11}{'broker':<7}{'conns':>5}  {'endpoint':<19}{'req/s':>7}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'req/s÷base':>11}{'p99÷base':>9}{'failed':>7}{'emails':>7}{'S3 HEAD':>8}"
        f"{'S3 CPU':>7}{'server µs':>10}{'mail µs':>8}{'db µs':>7}{'all µs':>7}"
    )
    lines = [head, "-" * len(head)]
    for row in rows_:
        emails = "-" if row.emails is None else f"{row.emails:.0%}"
        lines.append(
            f"{row.database:<11}{row.broker:<7}{row.connections:>5}  {row.endpoint.name:<19}"
            f"{row.rps:>7.0f}{row.p50_ms:>8.1f}{row.p99_ms:>8.1f}{row.rps_ratio:>11.2f}"
            f"{row.p99_ratio:>9.2f}{row.failed:>7}{emails:>7}{row.s3_heads:>8.0%}"
            f"{row.s3_cpu:>7.0%}{_us(row.cpu_us.server):>10}{_us(row.cpu_us.mail):>8}"
            f"{_us(row.cpu_us.database):>7}{_us(row.cpu_us.machine):>7}"
        )
    return "\n".join(lines)


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def notes(rows_: list[Row]) -> list[str]:
    """The lines under the table that say which baseline a row is read against, and what
    the floors are."""
    lines = []
    if any(row.endpoint.role == FLOOR for row in rows_):
        lines.append(
            "floor: read, floor: write: one prepared statement by the link's code (its lookup;"
            " its count and click row, committed as a download without a limit is), then a 302"
            " to a fixed URL: the least a click costs on this machine. No target."
        )
    others = [row.endpoint for row in rows_ if row.endpoint.tool != WRK]
    named = ", ".join(dict.fromkeys(e.name for e in others if e.role != BASELINE))
    if not named:
        return lines
    return [
        *lines,
        f"{named}: wrk cannot read an answer to HEAD, so benchmarks/headload.py sends it and"
        " its own baseline (HEAD /bench/baseline, the row 'baseline HEAD'); its ratios are"
        " over that baseline, the other rows' over wrk's.",
    ]


def growth_table(pairs: list[Growth], sizes: tuple[int, int]) -> str:
    small, large = (f"{size:,}" for size in sizes)
    head = (
        f"{'database':<11}{'broker':<7}{'conns':>5}  {'endpoint':<19}{'p50 @' + small:>12}"
        f"{'p50 @' + large:>14}{'ratio':>7}{'÷base':>7}"
    )
    lines = [head, "-" * len(head)]
    for pair in pairs:
        row = pair.large
        lines.append(
            f"{row.database:<11}{row.broker:<7}{row.connections:>5}  {row.endpoint.name:<19}"
            f"{pair.small.p50_ms:>9.2f} ms{row.p50_ms:>11.2f} ms{pair.ratio:>7.2f}"
            f"{pair.relative:>7.2f}"
        )
    return "\n".join(lines)


def results(measurements: list[Measurement], sizes: tuple[int, int], footer: str) -> str:
    """The whole report: the table at the large size, p50 growth, verdicts."""
    small, large = sizes
    small_rows, large_rows = rows(measurements, small), rows(measurements, large)
    pairs = growth(small_rows, large_rows)
    drift = baseline_drift(measurements)
    noise = f"{drift[0]:.2f}x to {drift[1]:.2f}x" if drift else "n/a"
    return "\n".join(
        [
            "",
            f"{large:,} shares, each row the mean of an endpoint's runs. req/s÷base: over the"
            " mean of the baseline runs just before and after each of them; p99÷base: over the"
            " median p99 of its group's baseline runs.",
            table(large_rows),
            "server µs, db µs, all µs: CPU per answered request of gunicorn (its workers, every"
            " thread), of PostgreSQL (when on this host) and of the whole machine (load"
            " generator and kernel included); mail µs: of server µs, the workers' threads"
            " that serve no request (the mail thread, sending or publishing emails after the"
            " answer); '-' where it could not be read.",
            *notes(large_rows),
            f"Noise: the baseline run after an endpoint did {noise} the requests/s of the one"
            " before it.",
            "",
            f"p50 at {large:,} shares over p50 at {small:,}: the same download in the same"
            f" set-up, the run on {small:,} shares (a second server on a database of its own)"
            f" right after the run on {large:,}; ÷base: each p50 first divided by the p50 of"
            " the baseline runs around it (the target's)",
            growth_table(pairs, sizes),
            "",
            *verdicts(large_rows, pairs, sizes),
            "",
            footer,
        ]
    )
