"""docs/configuration.md lists every variable as the tables define it."""

from project import configdoc, environment
from sharelinks import conf


def test_the_committed_reference_is_the_generated_one():
    page = configdoc.PAGE.read_text()
    assert configdoc.updated(page) == page, (
        "docs/configuration.md is out of date: run python -m project.configdoc"
    )


def test_every_variable_has_one_row_in_the_reference():
    rows = [line.split(" | ")[0] for line in configdoc.PAGE.read_text().splitlines()]
    names = [setting.name for setting in environment.PROJECT_SETTINGS]
    names += [f"SHARELINKS_{setting.name}" for setting in conf.SETTINGS]
    for name in names:
        assert rows.count(f"| `{name}`") == 1, name


def test_check_mode_reports_a_stale_page_without_writing_it(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text(f"# Configuration\n\n{configdoc.BEGIN}\nold\n{configdoc.END}\n")
    monkeypatch.setattr(configdoc, "PAGE", stale)
    monkeypatch.setattr(configdoc, "BASE_DIR", tmp_path)
    assert configdoc.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert "old" in stale.read_text()
    assert configdoc.main([]) == 0
    assert configdoc.main(["--check"]) == 0
    assert "| `SHARELINKS_URL_TTL` | `60` |" in stale.read_text()
