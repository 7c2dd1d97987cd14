"""The shape of the code: the layers of docs/architecture.md hold, nothing imports in a
circle, and no module grows past what a newcomer can read in one sitting."""

import subprocess
import sys
from pathlib import Path

import grimp

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "sharelinks"
MODULE_MAX_LINES = 300


def test_the_import_contracts_in_pyproject_are_kept():
    # lint-imports reads [tool.importlinter]: entry points -> services -> models / aws.
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_imports_in_a_circle():
    graph = grimp.build_graph("sharelinks", cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if not imported.startswith(module + ".") and graph.find_shortest_chain(
                importer=imported, imported=module
            ):
                cycles.append(f"{module} -> {imported}")
    assert cycles == []


def test_no_module_is_longer_than_a_screenful_of_screens():
    lengths = {
        str(path.relative_to(PACKAGE_DIR)): len(path.read_text().splitlines())
        for path in PACKAGE_DIR.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {name: n for name, n in lengths.items() if n > MODULE_MAX_LINES} == {}
