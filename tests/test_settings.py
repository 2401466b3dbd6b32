"""Settings are read strictly: a bad value stops start-up with a message naming it."""

import os
import subprocess
import sys

import pytest


def start_with(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sixways.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"MIN_GROUP_SIZE": "2"}, "MIN_GROUP_SIZE must be at least 3"),
        ({"MIN_GROUP_SIZE": "five"}, "MIN_GROUP_SIZE must be a whole number"),
        ({"DEBUG": "0", "SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL must point to PostgreSQL or SQLite"),
        ({"SITE_URL": "example.org"}, "SITE_URL must start with http"),
    ],
)
def test_a_bad_setting_stops_start_up(env, message):
    result = start_with(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_good_settings_start():
    assert start_with().returncode == 0
