"""The audit log moved to core and a round's retention records to rounds. Their tables stay
where they are (each model names its table), so this only changes Django's record of them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_queued_email"),
        ("core", "0001_initial"),
        ("rounds", "0006_retention_from_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="RoundRetention"),
                migrations.DeleteModel(name="RoundAggregate"),
            ],
        ),
    ]
