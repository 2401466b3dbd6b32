"""What our Jinja2 pages need that allauth's views do not put in their context."""

from django.conf import settings

from sixways.design.forms import error_list
from sixways.partnerships.roles import needs_two_factor

from .middleware import has_two_factor


def accounts(request) -> dict:
    def two_factor_required() -> bool:
        user = request.user
        return (
            settings.MFA_REQUIRED
            and user.is_authenticated
            and needs_two_factor(user)
            and not has_two_factor(user)
        )

    return {
        "error_list": lambda form: error_list(form) if form is not None else [],
        "entra_enabled": settings.ENTRA_ENABLED,
        "two_factor_required": two_factor_required,
    }
