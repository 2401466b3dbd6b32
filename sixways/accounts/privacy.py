"""A person's data: what we hold about an account holder, exported or erased on request,
and ending their sessions when their account is switched off."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from sixways.core import audit
from sixways.core.models import AuditEntry
from sixways.design.text import plural
from sixways.partnerships.models import Membership
from sixways.rounds.models import Invitation

from .models import QueuedEmail, RoleInvitation


def notice() -> dict:
    """The facts the privacy page states, read from the settings each time it is shown, so
    the page cannot drift from what the service does."""
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.utils.module_loading import import_string

    hours = settings.SESSION_COOKIE_AGE // 3600
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "purpose": "Keeps you signed in.",
            "expires": f"After {hours} hours, when you close your browser or when you sign out.",
        },
        {
            "name": settings.PARTICIPANT_COOKIE_NAME,
            "purpose": "Remembers which answers are yours while you answer the questions, so "
            "you need your link only once.",
            "expires": f"After {hours} hours, or when you close your browser.",
        },
        {
            "name": settings.CSRF_COOKIE_NAME,
            "purpose": "Stops other websites sending forms to the service in your name.",
            "expires": f"After {_duration(settings.CSRF_COOKIE_AGE)}."
            if settings.CSRF_COOKIE_AGE
            else "When you close your browser.",
        },
    ]
    storage = import_string(settings.MESSAGE_STORAGE)
    if issubclass(storage, CookieStorage):
        cookies.append(
            {
                "name": storage.cookie_name,
                "purpose": "Carries a message such as ‘The round has been saved’ to the next "
                "page you see.",
                "expires": "As soon as the message has been shown.",
            }
        )
    return {
        "cookies": cookies,
        "invitation_email_days": settings.INVITATION_EMAIL_RETENTION_DAYS,
        "answer_retention_days": settings.ANSWER_RETENTION_DAYS,
        "answer_retention": _duration(settings.ANSWER_RETENTION_DAYS * 24 * 3600),
        "role_invitation_days": settings.ROLE_INVITATION_DAYS,
        "min_group_size": settings.MIN_GROUP_SIZE,
    }


def _duration(seconds: int) -> str:
    """A length of time in words: 1 year, 3 years, 30 days, 8 hours."""
    days = seconds // (24 * 3600)
    if days >= 364 and days % 365 in (0, 364):
        years = round(days / 365)
        return plural(years, "year")
    if days:
        return plural(days, "day")
    hours = max(1, seconds // 3600)
    return plural(hours, "hour")


def _when(value) -> str | None:
    return value.isoformat() if value else None


def export(user) -> dict:
    """Everything tied to this person. Answers are not here: they are anonymous by design, and
    a personal link's address is only kept to send the link (see retention)."""
    return {
        "account": {
            "email": user.email,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "joined": _when(user.date_joined),
            "last_signed_in": _when(user.last_login),
            "active": user.is_active,
            "service_administrator": user.is_staff or user.is_superuser,
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user)
            ],
            "two_factor": [
                {"type": a.type, "added": _when(a.created_at), "last_used": _when(a.last_used_at)}
                for a in Authenticator.objects.filter(user=user)
            ],
            "microsoft_accounts": [
                {"uid": s.uid, "connected": _when(s.date_joined)}
                for s in SocialAccount.objects.filter(user=user)
            ],
        },
        "roles": [
            {
                "partnership": m.partnership.name,
                "role": m.get_role_display(),
                "organisation": m.organisation.name if m.organisation else None,
            }
            for m in Membership.objects.filter(user=user).select_related(
                "partnership", "organisation"
            )
        ],
        "invitations_to_a_role": [
            {
                "partnership": i.partnership.name,
                "role": i.get_role_display(),
                "sent": _when(i.created_at),
                "accepted": _when(i.accepted_at),
            }
            for i in RoleInvitation.objects.filter(email__iexact=user.email).select_related(
                "partnership"
            )
        ],
        "invitations_to_answer": [
            {"partnership": i.round.partnership.name, "round": i.round.title}
            for i in Invitation.objects.filter(email__iexact=user.email).select_related(
                "round__partnership"
            )
            if user.email
        ],
        "actions": [
            {
                "at": _when(e.at),
                "action": e.action,
                "partnership": e.partnership.name if e.partnership else None,
                "on": e.target,
                "detail": e.detail,
            }
            for e in AuditEntry.objects.filter(actor=user).select_related("partnership")
        ],
        "exported_at": timezone.now().isoformat(),
    }


def end_sessions(user) -> int:
    """Delete every session signed in as this person. Sessions are few and short-lived, so
    reading them all is cheaper than keeping an index of who holds which."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def erase(user, by=None) -> None:
    """Erase an account holder. What they did stays in the audit log, without who they were;
    their roles, invitations, sign-in methods and sessions go with the account."""
    email = user.email
    audit.record(by, "person.erased", None, None, detail="An account was erased on request")
    audit.anonymise(user)
    if email:
        RoleInvitation.objects.filter(email__iexact=email).delete()
        QueuedEmail.objects.filter(to__iexact=email).delete()
        Invitation.objects.filter(email__iexact=email).update(email="")
    end_sessions(user)
    user.delete()
