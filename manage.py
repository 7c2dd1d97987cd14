#!/usr/bin/env python
"""Django's command-line utility for sharelinks."""

import os
import sys


def main() -> None:
    """Run administrative tasks with the project's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
