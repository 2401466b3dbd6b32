"""What the retention rules keep of a round moves here from accounts: the tables stay as they
are, so only Django's record of which app holds the models changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_queued_email"),
        ("instruments", "0001_initial"),
        ("partnerships", "0002_cycle"),
        ("rounds", "0005_tally"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RoundRetention",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("emails_removed_at", models.DateTimeField(blank=True, null=True)),
                        ("answers_deleted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "round",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="retention",
                                to="rounds.round",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_roundretention",
                    },
                ),
                migrations.CreateModel(
                    name="RoundAggregate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("respondents", models.PositiveIntegerField()),
                        ("answer_count", models.PositiveIntegerField()),
                        ("score_sum", models.PositiveIntegerField()),
                        (
                            "organisation",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="partnerships.organisation",
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="aggregates",
                                to="rounds.round",
                            ),
                        ),
                        (
                            "section",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="instruments.section",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_roundaggregate",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("round", "organisation", "section"),
                                name="one_aggregate_per_round_organisation_section",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
