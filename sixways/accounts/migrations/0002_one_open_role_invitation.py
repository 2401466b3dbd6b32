from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def withdraw_older_duplicates(apps, schema_editor):
    """Before the rule holds, an address may have several invitations waiting in one
    partnership: one stays, the others are withdrawn, as inviting again does now."""
    RoleInvitation = apps.get_model("accounts", "RoleInvitation")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    now = timezone.now()
    waiting = RoleInvitation.objects.filter(accepted_at__isnull=True).select_related("partnership")
    # The newest that can still be accepted stays; an expired one only if none can.
    waiting = sorted(waiting, key=lambda i: (i.expires_at <= now, -i.created_at.timestamp(), -i.pk))
    seen = set()
    for invitation in waiting:
        key = (invitation.partnership_id, invitation.email.lower())
        if key not in seen:
            seen.add(key)
            continue
        if invitation.expires_at > now:
            AuditEntry.objects.create(
                action="invitation.withdrawn",
                partnership_id=invitation.partnership_id,
                target_type="accounts.roleinvitation",
                target_id=str(invitation.pk),
                target=(
                    f"Invitation to be {invitation.get_role_display().lower()} "
                    f"of {invitation.partnership.name}"
                ),
                detail=f"{invitation.email}: a newer invitation to the same address replaced it",
            )
        invitation.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_roles_audit_retention"),
        ("partnerships", "0002_cycle"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(withdraw_older_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="roleinvitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("accepted_at__isnull", True)),
                fields=("partnership", "email"),
                name="one_open_role_invitation",
            ),
        ),
    ]
