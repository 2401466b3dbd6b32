"""The board report as a tagged PDF (PDF/UA-1), rendered by WeasyPrint from the same template
partials as the results pages, with the same stylesheets in print media. The paper questionnaire
(sixways/returns/printing.py) is rendered the same way, through `render_pdf`."""

import logging
from functools import cache

# WeasyPrint warns about every CSS property it does not support (the NHS.UK stylesheet has
# many that only matter on screen) and reports each rendering step, some while it is being
# imported: quieten it first.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("weasyprint.progress").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402


class NothingFetched(URLFetcher):
    """Refuse every URL: our PDFs need nothing from outside, and text that people typed must
    never make the server fetch something."""

    def fetch(self, url, headers=None):
        raise ValueError("our PDFs do not load anything from outside")


@cache
def _stylesheets() -> tuple[CSS, ...]:
    # Parsed once per process: the NHS.UK stylesheet takes about a second to read.
    paths = [finders.find("nhsuk/nhsuk-frontend.min.css"), finders.find("sixways/app.css")]
    return tuple(CSS(filename=path, url_fetcher=NothingFetched()) for path in paths if path)


def render_pdf(template_name: str, context: dict, request: HttpRequest | None) -> bytes:
    """A template rendered as a tagged PDF (PDF/UA-1), with the pages' stylesheets in print
    media. Characters outside the stylesheets' fonts (other scripts, emoji) come from the
    fonts fontconfig falls back to: the Noto fonts `make install` installs."""
    html = render_to_string(template_name, context, request=request)
    document = HTML(string=html, base_url=settings.SITE_URL, url_fetcher=NothingFetched())
    return document.write_pdf(
        stylesheets=list(_stylesheets()),
        pdf_variant="pdf/ua-1",
        custom_metadata=True,
    )


def report_pdf(request: HttpRequest | None, context: dict) -> bytes:
    return render_pdf("results/report.jinja", context, request)
