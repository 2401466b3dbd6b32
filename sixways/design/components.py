"""NHS.UK frontend macros whose rendered HTML is remembered, keyed by their parameters.

Each NHS macro is a pure function of the parameters it is given: it is imported without context,
so it cannot see the request. Rendering one is slow (a radios group runs the label, hint and
attribute macros for every option, about 7 ms), but a service shows the same few groups over
and over: the same question with the same answer chosen and the same error. So each worker
keeps the HTML it made for a given set of parameters, up to a limit, and the page comes out
byte for byte as the macro would write it (tests/test_speed_participant.py checks this).
"""

import threading

from jinja2 import Environment
from markupsafe import Markup


class _Uncacheable(Exception):
    """A parameter whose value a key cannot capture; the macro is simply called."""


def _key(value):
    """A hashable key that differs whenever the macro could render differently.

    Types are kept apart (text from safe HTML, True from 1), and anything other than plain data
    is refused rather than keyed by a repr that might not capture it.
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is Markup:
        return ("html", str(value))
    if value is None or kind in (bool, int, float):
        return (kind.__name__, value)
    if kind is dict:
        return ("dict", tuple((k, _key(v)) for k, v in value.items()))
    if kind in (list, tuple):
        return ("list", tuple(_key(v) for v in value))
    raise _Uncacheable(kind.__name__)


class CachedMacro:
    """Call like the macro: `radios(params)`. Remembers up to `size` renderings, oldest
    dropped first; never one whose `unless` parameter is filled in."""

    def __init__(self, env: Environment, template: str, name: str, size: int, unless: str = ""):
        self.env, self.template, self.name, self.size = env, template, name, size
        self.unless = unless
        self.rendered: dict = {}
        self.lock = threading.Lock()

    def render(self, params: dict) -> Markup:
        return getattr(self.env.get_template(self.template).module, self.name)(params)

    def __call__(self, params: dict | None = None) -> Markup:
        params = {} if params is None else params
        if self.unless and params.get(self.unless):
            return self.render(params)
        try:
            key = _key(params)
        except _Uncacheable:
            return self.render(params)
        html = self.rendered.get(key)
        if html is None:
            html = self.render(params)
            with self.lock:
                self.rendered[key] = html
                while len(self.rendered) > self.size:
                    del self.rendered[next(iter(self.rendered))]
        return html


# Global name: (component folder, macro name, how many renderings to keep). Fixed parts of
# every page need one or two; radios one per question, answer and error (24 x 5 x 2 or so);
# summary lists one per behaviour and set of answers (a comment makes its own, rarely reused).
# A comment box is kept only while empty: typed text differs for every person.
CACHED = {
    "skipLink": ("skip-link", "skipLink", 8),
    "header": ("header", "header", 256),
    "footer": ("footer", "footer", 8),
    "backLink": ("back-link", "backLink", 64),
    "button": ("button", "button", 128),
    "errorSummary": ("error-summary", "errorSummary", 512),
    "radios": ("radios", "radios", 2048),
    "summaryList": ("summary-list", "summaryList", 2048),
    "textarea": ("textarea", "textarea", 256, "value"),
}


def cached_macros(env: Environment) -> dict[str, CachedMacro]:
    return {
        name: CachedMacro(env, f"nhsuk/components/{folder}/macro.jinja", *rest)
        for name, (folder, *rest) in CACHED.items()
    }
