"""The read-only API for analysts' tools: Excel, Power BI and scripts (docs/api.md).

Each table is at /api/v1/<table>.csv and /api/v1/<table>.json. A token is sent as the password
of HTTP Basic (any username), which is what Excel's and Power BI's web connectors offer,
scheduled refresh in the Power BI service included, or as `Authorization: Bearer <token>`.
Never in the address: addresses end up in logs, browser histories and shared workbooks
(docs/adr/0017).

Wrong tokens are counted per network address, as wrong participant links are
(accounts/middleware.py); a right token is never refused for its address's wrong ones, but
has an allowance of its own (settings.API_RATE). Every use is in the partnership's activity
log and on the token's row.
"""

import base64
import binascii
import datetime
import json
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Min
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_etags
from django.views.decorators.http import require_safe

from sixways.accounts.middleware import PERIODS, client_ip, failure_rate, over_limit
from sixways.core import audit
from sixways.core.models import AuditEntry
from sixways.results import exports

from . import openapi, tables
from .models import ApiToken

logger = logging.getLogger("sixways.security")

REALM = 'Basic realm="Six Ways API", charset="UTF-8"'
MAX_HEADER = 400  # far longer than any token: anything longer is not one
# Query parameters people try for a token. Refused, even beside a good header, so that a
# token never works from an address.
IN_ADDRESS = {"token", "access_token", "api_key", "apikey", "key", "password", "secret"}
KEEP_VALIDATOR = 30 * 86400  # how long the time a version was first served is remembered


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def api_rate() -> tuple[int, int]:
    """API_RATE, such as "600/h": (requests, seconds), for each token."""
    count, _, period = settings.API_RATE.partition("/")
    return int(count), int(period[:-1] or 1) * PERIODS[period[-1]]


def rate_words(rate: str) -> str:
    """API_RATE in words: "600/h" is "600 requests an hour"."""
    count, _, period = rate.partition("/")
    unit = {"s": "second", "m": "minute", "h": "hour", "d": "day"}[period[-1]]
    if period[:-1] not in ("", "1"):
        return f"{count} requests every {period[:-1]} {unit}s"
    return f"{count} requests {'an' if unit == 'hour' else 'a'} {unit}"


def _window_left(period: int) -> int:
    return period - int(time.time()) % period or period


def presented_secret(request: HttpRequest) -> str | None:
    """The token the request carries, or None when it carries no Authorization at all.
    Anything that cannot be read is refused with what is wrong, never a server error."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    if len(header) > MAX_HEADER:
        raise Refused(401, "malformed", "The Authorization header is too long to hold a token.")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        if not value:
            raise Refused(401, "malformed", "The Authorization header has no token after Bearer.")
        return value
    if scheme.lower() != "basic":
        raise Refused(
            401,
            "malformed",
            "Send the token as the password of Basic authentication, or after Bearer.",
        )
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, or not UTF-8 once decoded
        raise Refused(
            401,
            "malformed",
            "The Basic credentials could not be read: they are not base64 of UTF-8 text.",
        ) from None
    _, colon, password = decoded.partition(":")
    if not colon:
        raise Refused(401, "malformed", "The Basic credentials need a username and a password.")
    if not password:
        raise Refused(
            401,
            "no-token",
            "No token was given: put the token in the password box (any username will do).",
        )
    return password


def _wrong(request: HttpRequest, refused: Refused) -> Refused:
    """Count a wrong credential from this address; past the allowance, 429 instead."""
    limit, period = failure_rate()
    if over_limit(request, "api-token-failures", limit, period):
        logger.warning("API token guessing paused for %s", client_ip(request))
        return Refused(
            429,
            "too-many-wrong-tokens",
            "Too many wrong tokens have come from your network address. Wait, then try again "
            "with the right token.",
            _window_left(period),
        )
    logger.info("Wrong API token from %s", client_ip(request))
    return refused


def _token_over_allowance(token: ApiToken) -> int | None:
    """The seconds to wait when this token has used its allowance (API_RATE), else None.

    Counted from the activity log, where every use is recorded anyway: the uses in the last
    `period`, wherever they came from, so the allowance is the token's, not an address's. One
    read on the log's (partnership, time) index, and nothing to write.
    """
    limit, period = api_rate()
    since = timezone.now() - datetime.timedelta(seconds=period)
    found = AuditEntry.objects.filter(
        partnership_id=token.partnership_id,
        at__gt=since,
        action="api-token.used",
        target_type=ApiToken._meta.label_lower,
        target_id=str(token.pk),
    ).aggregate(n=Count("id"), first=Min("at"))
    if found["n"] < limit:
        return None
    # Until the oldest use in the window leaves it.
    return max(1, math.ceil((found["first"] - since).total_seconds()))


def authenticate(request: HttpRequest) -> ApiToken:
    """The usable token the request carries, or Refused saying what is wrong."""
    if any(name.lower() in IN_ADDRESS for name in request.GET) or (
        ApiToken.PREFIX in request.META.get("QUERY_STRING", "")
    ):
        raise Refused(
            400,
            "token-in-address",
            "Tokens are never accepted in the address, where they would be kept in logs and "
            "browser history. Remove it from the address and send it as the password of Basic "
            "authentication (any username), or as 'Authorization: Bearer <token>'. As it has "
            "been in an address, revoke it and make a new one.",
        )
    try:
        secret = presented_secret(request)
    except Refused as refused:
        raise _wrong(request, refused) from None
    if secret is None:
        raise Refused(
            401,
            "no-token",
            "This address needs an API token: send it as the password of Basic authentication "
            "(any username), or as 'Authorization: Bearer <token>'.",
        )
    token = ApiToken.objects.from_secret(secret)
    if token is None:
        raise _wrong(
            request,
            Refused(
                401, "unknown-token", "This token is not recognised. Check it was copied whole."
            ),
        )
    # Known tokens that no longer work are not guesses: they are not counted.
    if token.revoked_at is not None:
        raise Refused(
            401, "revoked", "This token has been revoked. Ask a facilitator for a new one."
        )
    if token.expires_at <= timezone.now():
        raise Refused(401, "expired", "This token has expired. Ask a facilitator for a new one.")
    wait = _token_over_allowance(token)
    if wait is not None:
        raise Refused(
            429,
            "too-many-requests",
            f"This token has made more than its allowance of {rate_words(settings.API_RATE)}. "
            "Wait, then try again.",
            wait,
        )
    return token


def refusal(refused: Refused, as_json: bool) -> HttpResponse:
    if as_json:
        response = JsonResponse(
            {"error": refused.code, "message": refused.message}, status=refused.status
        )
    else:
        response = HttpResponse(
            refused.message + "\n", content_type="text/plain; charset=utf-8", status=refused.status
        )
    if refused.status == 401:
        response["WWW-Authenticate"] = REALM
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    response["X-Robots-Tag"] = "noindex"
    return response


def _used(token: ApiToken, table: str) -> None:
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, uses=F("uses") + 1)
    audit.record(None, "api-token.used", token.partnership, token, detail=table)


def _revalidate(response: HttpResponse) -> HttpResponse:
    # Clients may keep a table but must ask each time whether it changed: so an unchanged
    # refresh is an empty 304 (design/middleware.py lets these through without no-store).
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    patch_vary_headers(response, ["Authorization"])
    return response


def _first_served(etag: str) -> int:
    """When this version of a table was first served, for Last-Modified: remembered in the
    shared cache by its validator, so it costs one read rather than a table's worth of
    timestamps. Forgotten, it becomes now: a client then fetches once more, never less."""
    key = f"api-version:{etag}"
    first = cache.get(key)
    if first is None:
        first = int(time.time())
        cache.set(key, first, KEEP_VALIDATOR)
    return first


@require_safe
def table(request: HttpRequest, key: str, suffix: str) -> HttpResponse:
    found = tables.TABLES[key]  # one address for each table and suffix (api_urls.py)
    try:
        token = authenticate(request)
    except Refused as refused:
        return refusal(refused, suffix == "json")
    _used(token, f"{key}.{suffix}")
    etag = f'W/"{tables.validator(found, token, suffix)}"'
    headers = _revalidate(HttpResponse())
    headers["ETag"] = etag
    if etag.removeprefix("W/") in [
        tag.removeprefix("W/") for tag in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    ]:
        # The common refresh: the client has this version. Nothing more to read.
        return _not_modified(headers)
    last_modified = _first_served(etag)
    headers["Last-Modified"] = http_date(last_modified)
    if get_conditional_response(request, etag=etag, last_modified=last_modified) is not None:
        return _not_modified(headers)
    rows = tables.records(found, token)
    if suffix == "csv":
        response = HttpResponse(csv_bytes(found, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="sixways-{key}.csv"'
    else:
        response = HttpResponse(json_bytes(found, rows), content_type="application/json")
    for name in ("Cache-Control", "ETag", "Last-Modified", "Vary", "X-Robots-Tag"):
        response[name] = headers[name]
    return response


def _not_modified(headers: HttpResponse) -> HttpResponse:
    unchanged = HttpResponseNotModified()
    for name in ("Cache-Control", "ETag", "Last-Modified", "Vary", "X-Robots-Tag"):
        if name in headers:
            unchanged[name] = headers[name]
    return unchanged


def csv_bytes(found: tables.Table, rows: list[dict]) -> bytes:
    """As the downloads' CSV files: a byte order mark, Windows line endings, text people typed
    neutralised against formulas (results/exports.py), yes and no for true and false."""
    names = found.names
    records = [
        [("yes" if v else "no") if isinstance(v, bool) else v for v in row.values()] for row in rows
    ]
    return exports._small_csv(names, records, {c.name for c in found.columns if c.typed})


def json_bytes(found: tables.Table, rows: list[dict]) -> bytes:
    return json.dumps(
        {
            "format": found.format,
            "table": found.key,
            "generated_at": timezone.now().isoformat(timespec="seconds"),
            "min_group_size": settings.MIN_GROUP_SIZE,
            "columns": found.names,
            "rows": rows,
        },
        ensure_ascii=False,
    ).encode()


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The tables, with their addresses: open to anyone, as it holds no partnership's data."""
    base = settings.SITE_URL
    response = JsonResponse(
        {
            "version": tables.VERSION,
            "documentation": base + reverse("api:help-api"),
            "openapi": base + reverse("api:openapi"),
            "authentication": "HTTP Basic with the token as the password (any username), or "
            "'Authorization: Bearer <token>'.",
            "tables": [
                {
                    "name": t.key,
                    "description": t.about,
                    "format": t.format,
                    "csv": base + reverse(f"api:{t.key}-csv"),
                    "json": base + reverse(f"api:{t.key}-json"),
                }
                for t in tables.TABLES.values()
            ],
        },
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def openapi_document(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(
        openapi.document(settings.SITE_URL), json_dumps_params={"ensure_ascii": False}
    )
    response["X-Robots-Tag"] = "noindex"
    return response
