"""Phones in a workshop ask every few seconds whether anything changed. Most of the time
nothing has, and the answer is an empty 304 worked out from one row; this middleware gives it
before the rest of the stack (sessions, CSRF, authentication, security headers), which would
otherwise cost more than the answer itself (docs/performance.md, "Workshops"). Anything else,
including a poll whose page has changed, goes on to the view as usual."""

import re

from django.http import HttpRequest

from .showing import room_etag, unchanged

LIVE = re.compile(r"^/w/([^/]{1,20})/live/$")


class answer_unchanged_polls:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        held = request.META.get("HTTP_IF_NONE_MATCH")
        if held and request.method == "GET" and (match := LIVE.match(request.path_info)):
            found = room_etag(match[1])
            if found is not None and (reply := unchanged(request, found[0])) is not None:
                return reply
        return self.get_response(request)
