"""The app's settings with Django's GZipMiddleware first: what compressing pages would save.

Used only by `bench/run.py --settings bench.settings_gzip`, to measure a change before anyone
makes it in sixways/settings.py. GZipMiddleware pads compressed pages with random bytes
against BREACH-style attacks on the CSRF token.
"""

from sixways.settings import *  # noqa: F403
from sixways.settings import MIDDLEWARE

MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *MIDDLEWARE]
