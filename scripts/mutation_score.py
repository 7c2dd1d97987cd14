"""Print the score of the last `mutmut run`: killed / total, then each survivor by module.

Usage: python scripts/mutation_score.py [--undetected] PATTERN...

PATTERN: the mutant names `make mutate` ran. --undetected prints only the names of the
mutants the tests did not detect, one a line, for `mutmut run` to try again.

mutmut keeps one result per mutant in mutants/<path>.meta; only the mutants matching the
patterns count, so functions of a module that were not in the run are not reported as gaps.
Exits 1 when no mutant matched (the run did not happen or the patterns are stale).
"""

import json
import sys
from collections import Counter, defaultdict
from fnmatch import fnmatch
from pathlib import Path

from mutmut.stats import status_by_exit_code

# Statuses that mean the tests noticed the mutant.
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}


def results(patterns: list[str], root: Path = Path("mutants")) -> dict[str, str]:
    """Each mutant's status, by mutant name, for the mutants matching one of the patterns."""
    found = {}
    for meta in sorted(root.rglob("*.py.meta")):
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in exit_codes.items():
            if any(fnmatch(name, pattern) for pattern in patterns):
                found[name] = status_by_exit_code[code]
    return found


def _sort_key(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number)


def main(patterns: list[str]) -> int:
    names_only = "--undetected" in patterns
    patterns = [pattern for pattern in patterns if pattern != "--undetected"]
    statuses = results(patterns)
    if not statuses:
        print("no mutant results match", " ".join(patterns), file=sys.stderr)
        return 1
    if names_only:
        for name, status in sorted(statuses.items()):
            if status not in DETECTED:
                print(name)
        return 0
    counts = Counter(statuses.values())
    detected = sum(counts[status] for status in DETECTED)
    total = len(statuses)
    print(f"mutation score: {detected} / {total} killed ({100 * detected / total:.1f}%)")
    print("  " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    undetected = defaultdict(list)
    for name, status in statuses.items():
        if status not in DETECTED:
            undetected[name.split(".x", 1)[0]].append((name, status))
    for module, names in sorted(undetected.items()):
        print(f"\n{module}: {len(names)} not killed")
        for name, status in sorted(names, key=lambda item: _sort_key(item[0])):
            print(f"  {name}  ({status})")
    if undetected:
        print("\nSee one: .venv/bin/mutmut show NAME")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
