#!/usr/bin/env python
"""Django's command-line utility for sharelinks."""

import os
import sys
from pathlib import Path


def read_dev_env() -> None:
    """Fill unset variables from the file a running `make run` writes (var/dev.env).

    So `manage.py createshare` and friends reach the same local S3 server and base URL as
    the app beside them. The real environment always wins; without the file, nothing
    happens. Read here rather than in settings: tests and web servers never see it.
    """
    data_dir = Path(os.environ.get("SHARELINKS_DATA_DIR", Path(__file__).resolve().parent / "var"))
    try:
        lines = (data_dir / "dev.env").read_text().splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main() -> None:
    """Run administrative tasks with the project's settings."""
    read_dev_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
