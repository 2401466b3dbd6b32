"""Your account, the people of a partnership and their roles, invitations, the audit log.

Every partnership page fetches the partnership through `Partnership.objects.for_user`:
facilitators (CHANGERS) manage people and read the audit log; anyone else gets 404.
"""

import json

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.partnerships.models import Membership, Partnership, Role
from sixways.partnerships.roles import CHANGERS, needs_two_factor

from . import emails, privacy
from .forms import CreateAccountForm, InvitationForm, RoleForm
from .middleware import has_two_factor
from .models import QueuedEmail, RoleInvitation


def too_many_requests(request: HttpRequest, exception=None) -> HttpResponse:
    """allauth's rate limits answer with this (handler429 in sixways/urls.py)."""
    return render(request, "accounts/too_many_requests.jinja", status=429)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(
            user=request.user, partnership__in=Partnership.objects.for_user(request.user)
        )
        .select_related("partnership", "organisation")
        .order_by("partnership__name")
    )
    return render(
        request,
        "accounts/account.jinja",
        {
            "memberships": memberships,
            "has_two_factor": has_two_factor(request.user),
            "needs_two_factor": needs_two_factor(request.user),
            "has_password": request.user.has_usable_password(),
        },
    )


@login_required
def your_data(request: HttpRequest) -> HttpResponse:
    """Everything we hold about the signed-in person, as a JSON file."""
    data = privacy.export(request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="six-ways-your-data.json"'
    return response


def _facilitated(request: HttpRequest, partnership_id: int) -> Partnership:
    return get_object_or_404(
        Partnership.objects.for_user(request.user, roles=CHANGERS), pk=partnership_id
    )


@login_required
def people(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _facilitated(request, partnership_id)
    return render(
        request,
        "accounts/people.jinja",
        {
            "partnership": partnership,
            "memberships": partnership.memberships.select_related("user", "organisation").order_by(
                "role", "user__email"
            ),
            "invitations": [
                i for i in partnership.role_invitations.select_related("organisation") if i.is_open
            ],
            "failed": emails.failed_invitations(partnership),
        },
    )


def _send_invitation(request: HttpRequest, email: QueuedEmail) -> None:
    """Hand the invitation's email to the worker and say so; the people page lists it if it
    cannot be sent."""
    if emails.queue(email):
        messages.success(request, f"An invitation is being sent to {email.to}")
    else:
        messages.warning(
            request,
            f"The invitation to {email.to} is saved but could not be sent just now. "
            "Try sending it again in a few minutes.",
        )


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _facilitated(request, partnership_id)
    form = InvitationForm(request.POST or None, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            replaced = _withdraw_invitations(
                request, partnership, form.cleaned_data["email"], "a new invitation replaced it"
            )
            # The token is made again when the email is sent (accounts/emails.py), so that
            # it is never stored.
            invitation, _ = RoleInvitation.issue(
                partnership,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                form.cleaned_data["organisation"],
                invited_by=request.user,
            )
            audit.record(
                request,
                "invitation.sent",
                partnership,
                invitation,
                detail=f"To {invitation.email} as {invitation.get_role_display().lower()}",
            )
            email = emails.record_invitation(invitation)
        _send_invitation(request, email)
        if replaced:
            messages.info(request, f"The earlier invitation to {invitation.email} no longer works")
        return redirect("accounts:people", partnership.pk)
    return form_page(
        request,
        "accounts/invite.jinja",
        {
            "partnership": partnership,
            "form": form,
            "invitation_days": settings.ROLE_INVITATION_DAYS,
        },
        form,
    )


@login_required
@require_POST
def send_again(request: HttpRequest, partnership_id: int, role_invitation_id: int) -> HttpResponse:
    """Try again to send an invitation whose email could not be sent. It goes with a new
    link: the old one was never delivered."""
    partnership = _facilitated(request, partnership_id)
    failed = {i.pk: i for i in emails.failed_invitations(partnership)}
    invitation = failed.get(role_invitation_id)
    if invitation is None:
        # Sent, waiting, withdrawn or accepted since the page was shown: nothing to try again.
        return redirect("accounts:people", partnership.pk)
    with transaction.atomic():
        audit.record(request, "invitation.resent", partnership, invitation, invitation.email)
        email = emails.record_invitation(invitation)
    _send_invitation(request, email)
    return redirect("accounts:people", partnership.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, partnership_id: int, role_invitation_id: int) -> HttpResponse:
    partnership = _facilitated(request, partnership_id)
    invitation = get_object_or_404(
        partnership.role_invitations.filter(accepted_at__isnull=True), pk=role_invitation_id
    )
    with transaction.atomic():
        audit.record(request, "invitation.withdrawn", partnership, invitation, invitation.email)
        invitation.delete()
    messages.success(request, f"The invitation to {invitation.email} has been withdrawn")
    return redirect("accounts:people", partnership.pk)


def _withdraw_invitations(
    request: HttpRequest, partnership: Partnership, email: str, why: str
) -> int:
    """Withdraw the invitations to `partnership` sent to `email` and not yet accepted, and say
    how many could still have been used. A link sent before someone's role changed must not
    undo the change later. Call inside the transaction that makes the change."""
    if not email:
        return 0
    # The partnership's row first, as every role change takes it: two invitations to one
    # address sent at the same moment wait for each other instead of both being kept.
    Partnership.objects.select_for_update().get(pk=partnership.pk)
    waiting = list(
        partnership.role_invitations.select_for_update().filter(
            email__iexact=email.strip(), accepted_at__isnull=True
        )
    )
    still_usable = [i for i in waiting if i.is_open]
    for invitation in still_usable:
        detail = f"{invitation.email}: {why}"
        audit.record(request, "invitation.withdrawn", partnership, invitation, detail)
    RoleInvitation.objects.filter(pk__in=[i.pk for i in waiting]).delete()
    return len(still_usable)


def _other_member(request: HttpRequest, partnership: Partnership, membership_id: int):
    # Your own role is not yours to change: another facilitator or an administrator does it.
    return get_object_or_404(
        partnership.memberships.exclude(user=request.user).select_related("user"),
        pk=membership_id,
    )


def _leaves_a_facilitator(partnership: Partnership, membership: Membership, role: str) -> bool:
    """Whether the partnership still has a facilitator if `membership` gets `role` (None:
    removed). Call inside a transaction: the partnership's row is locked, so two facilitators
    taking each other's role at the same moment cannot leave it with none."""
    Partnership.objects.select_for_update().get(pk=partnership.pk)
    if role == Role.FACILITATOR:
        return True
    return partnership.facilitators().exclude(pk=membership.pk).exists()


NEEDS_A_FACILITATOR = (
    "A partnership needs at least one facilitator. Invite another facilitator first."
)


@login_required
@require_http_methods(["GET", "POST"])
def change_role(request: HttpRequest, partnership_id: int, membership_id: int) -> HttpResponse:
    partnership = _facilitated(request, partnership_id)
    membership = _other_member(request, partnership, membership_id)
    form = RoleForm(
        request.POST or None,
        partnership=partnership,
        initial={"role": membership.role, "organisation": membership.organisation_id or ""},
    )
    if request.method == "POST" and form.is_valid():
        before = membership.get_role_display().lower()
        membership.role = form.cleaned_data["role"]
        membership.organisation = form.cleaned_data["organisation"]
        with transaction.atomic():
            if not _leaves_a_facilitator(partnership, membership, membership.role):
                messages.info(request, NEEDS_A_FACILITATOR)
                return redirect("accounts:people", partnership.pk)
            membership.save(update_fields=["role", "organisation"])
            _withdraw_invitations(request, partnership, membership.user.email, "their role changed")
            audit.record(
                request,
                "role.changed",
                partnership,
                membership,
                detail=f"From {before} to {membership.get_role_display().lower()}",
            )
        messages.success(
            request,
            f"{membership.user.email} is now {membership.get_role_display().lower()}",
        )
        return redirect("accounts:people", partnership.pk)
    return form_page(
        request,
        "accounts/change_role.jinja",
        {"partnership": partnership, "membership": membership, "form": form},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, partnership_id: int, membership_id: int) -> HttpResponse:
    partnership = _facilitated(request, partnership_id)
    membership = _other_member(request, partnership, membership_id)
    if request.method == "POST":
        with transaction.atomic():
            if not _leaves_a_facilitator(partnership, membership, None):
                messages.info(request, NEEDS_A_FACILITATOR)
                return redirect("accounts:people", partnership.pk)
            audit.record(request, "role.removed", partnership, membership)
            membership.delete()
            _withdraw_invitations(request, partnership, membership.user.email, "they were removed")
        messages.success(
            request, f"{membership.user.email} no longer has a role in {partnership.name}"
        )
        return redirect("accounts:people", partnership.pk)
    return render(
        request, "accounts/remove.jinja", {"partnership": partnership, "membership": membership}
    )


@login_required
def activity(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _facilitated(request, partnership_id)
    page = Paginator(audit.for_partnership(partnership), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/activity.jinja",
        {"partnership": partnership, "page": page, "describe": audit.describe},
    )


ACCEPTED, GONE, KEPT_AS_FACILITATOR = "accepted", "gone", "kept as facilitator"


def _accept(request: HttpRequest, invitation: RoleInvitation, user) -> str:
    """Give `user` the invitation's role: ACCEPTED (also when a double press accepted it a
    moment ago), GONE when it was withdrawn or replaced meanwhile, or KEPT_AS_FACILITATOR when
    the role is lower and they are the partnership's only facilitator."""
    with transaction.atomic():
        # The partnership's row before the invitation's, in the order role changes take them,
        # so the two never wait on each other.
        Partnership.objects.select_for_update().get(pk=invitation.partnership_id)
        locked = RoleInvitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if locked is None:
            return GONE
        if locked.accepted_at is not None:
            return ACCEPTED
        current = Membership.objects.filter(user=user, partnership=invitation.partnership).first()
        if current and not _leaves_a_facilitator(invitation.partnership, current, invitation.role):
            return KEPT_AS_FACILITATOR
        Membership.objects.update_or_create(
            user=user,
            partnership=invitation.partnership,
            defaults={"role": invitation.role, "organisation": invitation.organisation},
        )
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        audit.record(
            user,
            "invitation.accepted",
            invitation.partnership,
            invitation,
            detail=f"{user.email} as {invitation.get_role_display().lower()}",
        )
    return ACCEPTED


def _kept_as_facilitator(invitation: RoleInvitation) -> str:
    return (
        f"You are still a facilitator of {invitation.partnership.name}. A partnership needs at "
        "least one facilitator and you are its only one, so your role has not changed. Invite "
        "another facilitator first: once they have accepted, you can use this invitation again "
        "or they can change your role."
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation to a role. Only the address it was sent to can accept it."""
    invitation = RoleInvitation.objects.from_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_not_valid.jinja", status=404)
    context = {"invitation": invitation}
    user_model = get_user_model()
    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email:
            return render(request, "accounts/invitation_other_address.jinja", context, status=403)
        if request.method == "POST":
            outcome = _accept(request, invitation, request.user)
            if outcome == GONE:
                return render(request, "accounts/invitation_not_valid.jinja", status=404)
            if outcome == KEPT_AS_FACILITATOR:
                messages.info(request, _kept_as_facilitator(invitation))
                return redirect("partnerships:home")
            messages.success(
                request,
                f"You are now {invitation.get_role_display().lower()} of "
                f"{invitation.partnership.name}",
            )
            return redirect("partnerships:home")
        return render(request, "accounts/invitation.jinja", context)

    if user_model.objects.filter(email__iexact=invitation.email).exists():
        # They have an account: signing in brings them back here to accept.
        context["sign_in_url"] = (
            reverse("accounts:sign-in") + "?next=" + reverse("accounts:invitation", args=[token])
        )
        return render(request, "accounts/invitation.jinja", context)

    form = CreateAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = user_model.objects.create_user(
                    username=invitation.email,
                    email=invitation.email,
                    password=form.cleaned_data["password"],
                )
                # The address is proven: the invitation reached it.
                EmailAddress.objects.create(
                    user=user, email=invitation.email, verified=True, primary=True
                )
                # Someone new has no role to keep, so the only other outcome is a withdrawn
                # invitation: then no account is made either.
                if _accept(request, invitation, user) == GONE:
                    transaction.set_rollback(True)
                    user = None
        except IntegrityError:
            # Someone made the account a moment ago, perhaps in another tab: sign in instead.
            return redirect(reverse("accounts:invitation", args=[token]))
        if user is None:
            return render(request, "accounts/invitation_not_valid.jinja", status=404)
        login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
        messages.success(
            request,
            f"Your account is ready. You are now {invitation.get_role_display().lower()} of "
            f"{invitation.partnership.name}",
        )
        return redirect("partnerships:home")
    context["form"] = form
    return form_page(request, "accounts/invitation.jinja", context, form)
