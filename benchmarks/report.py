"""The bench's numbers and verdicts: rows read against their baselines, p50 against table
size, and PASS/FAIL against the targets (benchmarks.printout lays them out)."""

from collections import defaultdict
from dataclasses import dataclass
from statistics import mean, median

from benchmarks.cpu import NOTHING, Sample
from benchmarks.endpoints import BASELINE, DOWNLOAD, PAGE, Endpoint
from benchmarks.wrk import Result

# Targets, on PostgreSQL with either broker set-up a deployment may have.
TARGET_DATABASE = "postgresql"
TARGET_BROKERS = ("none", "redis")
MIN_DOWNLOAD_RPS_RATIO = 0.40  # counted download requests/s over baseline requests/s
MAX_P99_RATIO = 5.0  # counted download p99 over baseline p99, at P99_CONNECTIONS
P99_CONNECTIONS = 4
MAX_P50_GROWTH = 1.2  # p50 with the large table over p50 with the small one


@dataclass(frozen=True)
class Measurement:
    """One run of one endpoint, and what it left behind: clicks, emails, S3 HEADs."""

    database: str
    size: int
    broker: str
    connections: int
    endpoint: Endpoint
    result: Result
    clicks: int = 0
    emails: int = 0
    s3_heads: int = 0
    s3_cpu: float = 0.0  # CPU seconds the S3 emulator (in the bench's process) used meanwhile
    cpu: Sample = NOTHING  # CPU seconds by part of the machine (benchmarks.cpu) meanwhile


@dataclass(frozen=True)
class Row:
    """A line of the table: an endpoint's runs against the baseline runs just before and
    after each."""

    database: str
    broker: str
    connections: int
    endpoint: Endpoint
    rps: float
    p50_ms: float
    p99_ms: float
    base_rps: float
    base_p50_ms: float  # of the same baseline runs as base_rps
    base_p99_ms: float
    failed: int
    emails: float | None  # owner emails queued per counted click
    s3_heads: float  # HEADs S3 answered per counted click, or per answer
    s3_cpu: float  # share of one CPU the S3 emulator used during the runs
    cpu_us: Sample = NOTHING  # CPU µs per answered request, by part (None: not read)

    @property
    def key(self) -> tuple[str, str, int, str]:
        return self.database, self.broker, self.connections, self.endpoint.name

    @property
    def rps_ratio(self) -> float:
        return self.rps / self.base_rps

    @property
    def p99_ratio(self) -> float:
        return self.p99_ms / self.base_p99_ms


def rows(measurements: list[Measurement], size: int) -> list[Row]:
    """Table rows at one table size, in the order first measured: an endpoint's runs (one
    a round) make one row, each read against the baseline runs around it. Each load
    generator's baseline row (all its runs in the group) comes before the first row it is
    the yardstick of."""
    table = []
    for group in _groups(measurements).values():
        bases: dict[str, list[Measurement]] = defaultdict(list)
        targets: dict[str, list[int]] = defaultdict(list)  # endpoint name: its runs' indexes
        for i, m in enumerate(group):
            if m.endpoint.role == BASELINE:
                bases[m.endpoint.tool].append(m)
            elif m.size == size:
                targets[m.endpoint.name].append(i)
        shown = set()
        for indexes in targets.values():
            endpoint = group[indexes[0]].endpoint
            tool = endpoint.tool
            if not bases[tool]:
                raise ValueError(f"{endpoint.name}: no baseline run of {tool} in its group")
            if tool not in shown:
                shown.add(tool)
                runs = bases[tool]
                table.append(_row(runs[0].endpoint, runs, runs, runs))
            around = [b for i in indexes for b in _around(group, i)] or bases[tool]
            table.append(_row(endpoint, [group[i] for i in indexes], around, bases[tool]))
    return table


def _groups(measurements: list[Measurement]) -> dict[tuple, list[Measurement]]:
    """The runs of each set-up (database, broker, connections) in the order measured: its
    baseline runs and its targets at either table size, round after round, the small
    table's run of a download right after the large table's, between baseline runs."""
    groups: dict[tuple, list[Measurement]] = defaultdict(list)
    for m in measurements:
        groups[(m.database, m.broker, m.connections)].append(m)
    return groups


def _around(group: list[Measurement], i: int) -> list[Measurement]:
    """The baseline runs of run i's load generator nearest before and after it."""
    tool = group[i].endpoint.tool

    def base(m: Measurement) -> bool:
        return m.endpoint.role == BASELINE and m.endpoint.tool == tool

    before = [m for m in group[:i] if base(m)][-1:]
    after = [m for m in group[i + 1 :] if base(m)][:1]
    return before + after


def _row(
    endpoint: Endpoint,
    runs: list[Measurement],
    around: list[Measurement],
    group_base: list[Measurement],
) -> Row:
    """Requests/s against the baseline runs around; latency against the group's median
    baseline, since one stall of a shared machine can set a short run's p99. A target's
    p50 and p99 are the means of its runs' (one a round)."""
    first = runs[0]
    latency = median if endpoint.role == BASELINE else mean
    clicks = sum(m.clicks for m in runs)
    # Clicks include the requests still in flight when wrk stopped, as HEADs and emails do.
    per = clicks if endpoint.role == DOWNLOAD else sum(m.result.requests for m in runs)
    emails = sum(m.emails for m in runs) / clicks if endpoint.role == DOWNLOAD and clicks else None
    return Row(
        database=first.database,
        broker=first.broker,
        connections=first.connections,
        endpoint=endpoint,
        rps=mean(m.result.rps for m in runs),
        p50_ms=latency(m.result.p50_ms for m in runs),
        p99_ms=latency(m.result.p99_ms for m in runs),
        base_rps=mean(m.result.rps for m in around),
        base_p50_ms=latency(m.result.p50_ms for m in around),
        base_p99_ms=median(m.result.p99_ms for m in group_base),
        failed=sum(m.result.failed for m in runs),
        emails=emails,
        s3_heads=sum(m.s3_heads for m in runs) / per if per else 0.0,
        s3_cpu=sum(m.s3_cpu for m in runs) / sum(m.result.seconds for m in runs),
        cpu_us=per_request(runs),
    )


def per_request(runs: list[Measurement]) -> Sample:
    """Each part's CPU over the runs, in µs per answered request; None where any run could
    not read it."""
    answered = sum(m.result.requests for m in runs)

    def part(name: str) -> float | None:
        values = [getattr(m.cpu, name) for m in runs]
        if not answered or any(value is None for value in values):
            return None
        return sum(values) / answered * 1e6

    return Sample(part("server"), part("database"), part("machine"), part("mail"))


def baseline_drift(measurements: list[Measurement]) -> tuple[float, float] | None:
    """Smallest and largest ratio of the baseline run after a target to the one before it."""
    drifts = []
    for group in _groups(measurements).values():
        for i, m in enumerate(group):
            around = _around(group, i) if m.endpoint.role != BASELINE else []
            if len(around) == 2 and around[0].result.rps:
                drifts.append(around[1].result.rps / around[0].result.rps)
    return (min(drifts), max(drifts)) if drifts else None


@dataclass(frozen=True)
class Growth:
    """One endpoint's p50 at the small and at the large table size, in one set-up."""

    small: Row
    large: Row

    @property
    def ratio(self) -> float:
        """The two p50s as measured."""
        if not self.small.p50_ms:  # nothing was answered: no ratio to speak of
            return float("nan")
        return self.large.p50_ms / self.small.p50_ms

    @property
    def relative(self) -> float:
        """The same ratio with each p50 first divided by the p50 of the baseline runs around
        it, as requests/s is read against theirs: what the table size changed, without what
        the shared machine's speed did between the two runs (in a run whose baseline moved
        1.2x in ten seconds, the same code's p50 moved as far)."""
        small, large = self.small, self.large
        if not (small.p50_ms and small.base_p50_ms and large.base_p50_ms):
            return float("nan")
        return (large.p50_ms / large.base_p50_ms) / (small.p50_ms / small.base_p50_ms)


def growth(small: list[Row], large: list[Row]) -> list[Growth]:
    """Each target row of the large table against the small table's row of the same
    endpoint in the same set-up (database, broker, connections)."""
    by_key = {row.key: row for row in small if row.endpoint.role != BASELINE}
    return [Growth(by_key[row.key], row) for row in large if row.key in by_key]


def verdicts(large: list[Row], pairs: list[Growth], sizes: tuple[int, int]) -> list[str]:
    """PASS/FAIL lines for the targets, on TARGET_DATABASE with each of TARGET_BROKERS."""
    lines = []

    def judge(row: Row, ok: bool, text: str) -> None:
        where = f"{row.database} {row.broker:<5} c={row.connections} {row.endpoint.name:<19}"
        lines.append(f"{'PASS' if ok else 'FAIL'}  {where} {text}")

    targeted = [r for r in large if r.database == TARGET_DATABASE and r.broker in TARGET_BROKERS]
    downloads = [row for row in targeted if row.endpoint.role == DOWNLOAD]
    for row in downloads:
        judge(
            row,
            row.rps_ratio >= MIN_DOWNLOAD_RPS_RATIO,
            f"req/s {row.rps_ratio:.2f} of baseline (target >= {MIN_DOWNLOAD_RPS_RATIO:.2f})",
        )
    pages = [row for row in targeted if row.endpoint.role == PAGE]
    for page in pages:
        beside = [
            r for r in downloads if (r.broker, r.connections) == (page.broker, page.connections)
        ]
        if beside:  # no slower than any download: than the fastest
            row = max(beside, key=lambda r: r.rps)
            judge(
                page,
                page.rps >= row.rps,
                f"{page.rps:.0f} req/s; the fastest download, {row.endpoint.name}, {row.rps:.0f}"
                " (target: no slower than the download)",
            )
    if not pages:
        lines.append("n/a   landing page no slower than the download: no page was measured")
    for row in downloads:
        if row.connections == P99_CONNECTIONS:
            judge(
                row,
                row.p99_ratio <= MAX_P99_RATIO,
                f"p99 {row.p99_ratio:.2f}x baseline p99 (target <= {MAX_P99_RATIO:g}x)",
            )
    for pair in pairs:
        if pair.large in downloads:
            judge(
                pair.large,
                pair.relative <= MAX_P50_GROWTH,
                f"p50 at {sizes[1]:,} shares {pair.relative:.2f}x p50 at {sizes[0]:,}, each"
                f" over its baselines' ({pair.ratio:.2f}x as measured; target <="
                f" {MAX_P50_GROWTH:g}x)",
            )
    return lines
