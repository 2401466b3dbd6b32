"""Deploy checks of our own: `manage.py check --deploy` warns if two-factor is not enforced."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def two_factor_required(app_configs, **kwargs):
    if settings.MFA_REQUIRED:
        return []
    return [
        checks.Warning(
            "MFA_REQUIRED is off: facilitators and administrators can work without "
            "two-factor authentication.",
            hint="Unset MFA_REQUIRED (it is on whenever DEBUG is off).",
            id="sixways.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def site_url_is_https(app_configs, **kwargs):
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        checks.Warning(
            "SITE_URL is not https: links in emails would send people to an insecure address.",
            hint="Set SITE_URL to the service's https:// address.",
            id="sixways.W002",
        )
    ]
