"""allauth's forms with our words, and the forms for inviting people to a role.

Labels and messages follow the NHS content style; fields render through the NHS macros
(design/forms.py), so no field carries a placeholder or an HTML help text.
"""

from allauth.account import forms as allauth_forms
from allauth.core import context
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from django import forms
from django.contrib.auth import get_user_model, password_validation

from sixways.partnerships.models import Organisation, Role

from .adapter import from_address

# Advice shown under a new password field (not a password, whatever ruff's S105 thinks).
PASSWORD_HINT = " ".join(
    [
        "At least 12 characters. Not a common password, not only numbers and not like your",
        "email address. A few unrelated words make a strong one.",
    ]
)


TOO_MANY_CODES = (
    "There have been too many attempts to get a code for this email address. Wait 5 minutes "
    "and try again, or sign in with your password"
)

TOO_MANY_RESETS = (
    "There have been too many attempts to reset the password for this email address. Wait 5 "
    "minutes and try again, or sign in with a code sent by email"
)


def _plain(field: forms.Field, label: str, required: str, hint: str = "") -> None:
    """Our label, hint and message; no placeholder, which the label already says."""
    field.label = label
    field.help_text = hint
    field.error_messages["required"] = required
    field.widget.attrs.pop("placeholder", None)


class SignInForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["login"], "Email address", "Enter your email address")
        self.fields["login"].error_messages["invalid"] = (
            "Enter an email address in the correct format, like name@example.com"
        )
        _plain(self.fields["password"], "Password", "Enter your password")


class RequestCodeForm(allauth_forms.RequestLoginCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(
            self.fields["email"],
            "Email address",
            "Enter your email address",
            "We will send a code to this address if it belongs to an account.",
        )
        self.fields["email"].error_messages["invalid"] = (
            "Enter an email address in the correct format, like name@example.com"
        )

    def clean_email(self) -> str:
        """Count a request per account from this network address first, so that someone
        elsewhere asking for codes for the same address cannot use up the real person's."""
        email = self.cleaned_data.get("email")
        here = from_address(context.request, "request_login_code_from_address", email)
        if here is None:
            raise forms.ValidationError(TOO_MANY_CODES, code="too_many_login_attempts")
        try:
            return super().clean_email()
        except forms.ValidationError as error:
            here.rollback()
            if error.code == "too_many_login_attempts":
                raise forms.ValidationError(TOO_MANY_CODES, code=error.code) from error
            raise


class ConfirmCodeForm(allauth_forms.ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["code"], "Code", "Enter the code from the email")


class ReauthenticateForm(allauth_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["password"], "Password", "Enter your password")


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["oldpassword"], "Current password", "Enter your current password")
        _plain(self.fields["password1"], "New password", "Enter a new password", PASSWORD_HINT)
        _plain(self.fields["password2"], "New password again", "Enter the new password again")


class SetPasswordForm(allauth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["password1"], "Password", "Enter a password", PASSWORD_HINT)
        _plain(self.fields["password2"], "Password again", "Enter the password again")


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["email"], "Email address", "Enter your email address")
        self.fields["email"].error_messages["invalid"] = (
            "Enter an email address in the correct format, like name@example.com"
        )

    def clean_email(self) -> str:
        """Counted per account from this network address as well as by allauth, as codes
        are: see RequestCodeForm."""
        email = super().clean_email()
        if from_address(context.request, "reset_password_from_address", email) is None:
            raise forms.ValidationError(TOO_MANY_RESETS, code="too_many_login_attempts")
        return email


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["password1"], "New password", "Enter a new password", PASSWORD_HINT)
        _plain(self.fields["password2"], "New password again", "Enter the new password again")


class AuthenticateForm(mfa_base_forms.AuthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(
            self.fields["code"],
            "Code",
            "Enter the code from your authenticator app",
            "The 6-digit code from your authenticator app, or one of your recovery codes.",
        )
        self.fields["code"].widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")


class MfaReauthenticateForm(mfa_base_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(self.fields["code"], "Code", "Enter the code from your authenticator app")
        self.fields["code"].widget.attrs.update(autocomplete="one-time-code")


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain(
            self.fields["code"],
            "Code from the app",
            "Enter the 6-digit code from your authenticator app",
        )
        self.fields["code"].widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")


class RoleForm(forms.Form):
    """A role in a partnership, with the organisation a partner lead is tied to."""

    role = forms.ChoiceField(
        label="Role",
        widget=forms.RadioSelect,
        choices=[
            (Role.FACILITATOR, "Facilitator: sets up rounds, invites people, reads results"),
            (
                Role.PARTNER_LEAD,
                "Partner lead: reads results, and how their organisation compares",
            ),
            (Role.OBSERVER, "Observer: reads results and changes nothing"),
        ],
        error_messages={"required": "Select a role"},
    )
    organisation = forms.ChoiceField(
        label="Organisation (for a partner lead)",
        required=False,
        help_text="The partner organisation they lead for.",
    )

    def __init__(self, *args, partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        self.organisations = {
            str(o.pk): o for o in Organisation.objects.filter(partnerships__partnership=partnership)
        }
        self.fields["organisation"].choices = [("", "Not a partner lead")] + [
            (pk, o.name) for pk, o in self.organisations.items()
        ]

    def clean(self):
        data = super().clean()
        organisation = self.organisations.get(data.get("organisation") or "")
        if data.get("role") == Role.PARTNER_LEAD:
            if organisation is None:
                self.add_error("organisation", "Select the organisation they lead for")
        elif data.get("organisation"):
            self.add_error("organisation", "Only a partner lead is tied to an organisation")
        data["organisation"] = organisation
        return data


class InvitationForm(RoleForm):
    """A facilitator invites someone to a role in their partnership."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We will send the invitation to this address. Only this address can accept it.",
        error_messages={
            "required": "Enter the email address of the person to invite",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    field_order = ["email", "role", "organisation"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.partnership.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError(
                "This person already has a role in this partnership. Change their role instead"
            )
        return email


class CreateAccountForm(forms.Form):
    """Someone accepting an invitation who has no account yet chooses a password."""

    password = forms.CharField(
        label="Create a password",
        strip=False,
        help_text=PASSWORD_HINT,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a password"},
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # The validators compare the password with the address, so give them a user to
        # compare against before one exists.
        user = get_user_model()(username=self.email, email=self.email)
        password_validation.validate_password(password, user)
        return password
