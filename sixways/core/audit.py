"""The audit log: who did what, when, on what. One call for every engineer:

    from sixways.core import audit
    audit.record(request, "round.closed", round_.partnership, round_)
    audit.record(request, "link.created", partnership, invitation, detail="3 links")

Facilitators read their own partnership's entries on its activity page (accounts:audit). `detail` is shown to them,
so keep it to facts about the action: never answers, comments or tokens.
"""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Replace

from .models import AuditEntry

# What each action is called on the activity page. An action missing here is shown by its code.
ACTIONS = {
    "partnership.created": "Set up the partnership",
    "partnership.changed": "Changed the partnership's details",
    "partnership.sharing-changed": "Changed what the partnership above can see",
    "partnership.benchmark-joined": "Chose to take part in the benchmark",
    "partnership.benchmark-left": "Stopped taking part in the benchmark",
    "partner.added": "Added a partner organisation",
    "partner.removed": "Removed a partner organisation",
    "partners.imported": "Imported partner organisations",
    "organisation.changed": "Changed a partner organisation's details",
    "round.created": "Set up a round",
    "round.changed": "Changed a round",
    "round.opened": "Opened a round",
    "round.closed": "Closed a round",
    "round.reopened": "Reopened a round",
    "round.invited": "Invited people to a round",
    "round.reminded": "Sent reminders",
    "round.emails-retried": "Tried again to send emails",
    "link.created": "Made an organisation's link",
    "link.replaced": "Replaced an organisation's link",
    "agreed.saved": "Saved the agreed answers",
    "agreed.agreed": "Marked the agreed answers as agreed",
    "agreed.took-part": "Recorded who agreed the answers",
    "invitation.sent": "Invited someone to a role",
    "invitation.resent": "Sent an invitation to a role again",
    "invitation.withdrawn": "Withdrew an invitation to a role",
    "invitation.accepted": "Accepted an invitation to a role",
    "role.changed": "Changed someone's role",
    "role.removed": "Removed someone's role",
    "person.erased": "Erased an account",
    "retention.applied": "Deleted data past its retention period",
    "access.requested": "Asked for an account for a partnership",
    "action.created": "Added an action to the plan",
    "action.updated": "Updated an action",
    "action.changed": "Changed an action's details",
    "returns.keyed": "Entered a paper return",
    "returns.uploaded": "Uploaded a file of returns",
    "returns.imported": "Imported a file of returns",
    "returns.undone": "Undid the import of a file of returns",
    "returns.removed": "Took out a paper return entered by mistake",
    "board-link.created": "Made a board link",
    "board-link.used": "A board link was opened",
    "board-link.paused": "Paused a board link",
    "board-link.resumed": "Resumed a board link",
    "board-link.revoked": "Revoked a board link",
    "api-token.created": "Made an API token",
    "api-token.used": "An API token was used",
    "api-token.revoked": "Revoked an API token",
}


def describe(action: str) -> str:
    return ACTIONS.get(action, action)


def record(request_or_user, action: str, partnership=None, target=None, detail: str = ""):
    """Write one entry. `request_or_user` is the request (its signed-in user acts) or a user;
    None or an anonymous user records the system as the actor."""
    user = getattr(request_or_user, "user", request_or_user)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    target_type = target_id = label = ""
    if isinstance(target, models.Model):
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        label = str(target)
    elif target is not None:
        label = str(target)
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        partnership=partnership,
        target_type=target_type,
        target_id=target_id,
        target=label[:300],
        detail=detail,
    )


def for_partnership(partnership):
    return AuditEntry.objects.filter(partnership=partnership).select_related("actor")


def for_target(target: models.Model, actions: list[str]):
    """The entries of these actions done to one object, oldest first."""
    return (
        AuditEntry.objects.filter(
            target_type=target._meta.label_lower, target_id=str(target.pk), action__in=actions
        )
        .select_related("actor")
        .order_by("at", "id")
    )


def anonymise(user, replacement: str = "an erased account") -> int:
    """Keep a person's entries (what happened still matters) but not who they were: the
    actor is cleared and their email address is taken out of every description."""
    entries = AuditEntry.objects.all()
    entries.filter(actor=user).update(actor=None)
    changed = 0
    for email in {user.email, user.email.lower(), user.get_username()} - {""}:
        for field in ("target", "detail"):
            changed += entries.filter(**{f"{field}__contains": email}).update(
                **{field: Replace(field, Value(email), Value(replacement))}
            )
    return changed
