from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.urls import include, path

from sixways.accounts import privacy
from sixways.rounds import session


def returns_facts() -> dict:
    return {
        "max_megabytes": settings.RETURNS_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.RETURNS_MAX_ROWS,
        "keep_hours": settings.RETURNS_KEEP_HOURS,
    }


def page(template: str, facts=None):
    """A page of fixed text; `facts` gives values it states that come from the settings."""

    def view(request):
        return render(request, template, facts() if facts else None)

    view.__name__ = template.rsplit("/", 1)[-1].split(".")[0]
    return view


urlpatterns = [
    path("", include("sixways.partnerships.urls")),
    path("", include("sixways.rounds.urls")),
    path("", include("sixways.results.urls")),
    path("", include("sixways.actions.urls")),
    path("", include("sixways.returns.urls")),
    path("", include("sixways.workshops.urls")),
    path("", include("sixways.sharing.urls")),
    path("", include("sixways.sharing.api_urls")),
    path("accounts/", include("sixways.accounts.urls")),
    path("accounts/", include("sixways.accounts.allauth_urls")),
    path("help/scores/", page("pages/help.jinja", privacy.notice), name="help"),
    path("help/workshops/", page("pages/workshops.jinja"), name="help-workshops"),
    path("help/returns/", page("pages/returns.jinja", returns_facts), name="help-returns"),
    path("privacy/", page("pages/privacy.jinja", privacy.notice), name="privacy"),
    path("accessibility/", page("pages/accessibility.jinja"), name="accessibility"),
    path("session/", session.status, name="session"),
    path("session/extend/", session.extend, name="session-extend"),
    path("admin/", admin.site.urls),
]

handler400 = "sixways.design.views.bad_request"
handler403 = "sixways.design.views.forbidden"
handler404 = "sixways.design.views.not_found"
handler500 = "sixways.design.views.server_error"
handler429 = "sixways.accounts.views.too_many_requests"  # allauth's rate limits
