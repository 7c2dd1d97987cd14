"""Settings for `make bench`: the project's own, read from the same environment, with the
bench's URLconf (the project's routes plus a baseline) on top."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
