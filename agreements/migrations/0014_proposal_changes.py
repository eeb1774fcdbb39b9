from django.db import migrations, models


def _fields():
    return [
        ("wording", models.TextField(blank=True, verbose_name="neuer Wortlaut des Abschnitts")),
        ("goal_values", models.JSONField(blank=True, default=dict, verbose_name="neue Werte des Ziels")),
        ("based_on", models.JSONField(blank=True, default=dict, verbose_name="Stand der Stelle beim Einbringen")),
        ("applied_at", models.DateTimeField(blank=True, null=True,
                                            verbose_name="in den Arbeitstext übernommen am")),
    ]


class Migration(migrations.Migration):
    """Proposals that carry the exact change: a section's new wording or a goal's new values, the passage as it
    stood when proposed, and when the change was applied to the working text."""

    dependencies = [
        ("agreements", "0013_goal_corridor_exception"),
    ]

    operations = [
        migrations.AddField(model_name=model, name=name, field=field)
        for model in ("proposal", "historicalproposal")
        for name, field in _fields()
    ]
