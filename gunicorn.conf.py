"""Read by gunicorn when started in this directory: the settings of project/gunicorn_conf.py."""

from project.gunicorn_conf import *  # noqa: F403
