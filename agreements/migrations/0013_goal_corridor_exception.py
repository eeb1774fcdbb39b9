from django.db import migrations, models
from django.db.models import F, Q

# As models.agreements.LEGACY_CORRIDOR_EXCEPTION_REASON; copied, because a migration must not change with the code.
LEGACY_REASON = (
    "Ohne Begründung gespeichert, bevor ein Zielwert außerhalb des Korridors bestätigt werden musste."
)
OUTSIDE = Q(target_value__isnull=False) & (
    (Q(corridor_low__isnull=False) & Q(target_value__lt=F("corridor_low")))
    | (Q(corridor_high__isnull=False) & Q(target_value__gt=F("corridor_high")))
)


def mark_goals_saved_outside_their_corridor(apps, schema_editor):
    """Goals saved outside their corridor before the confirmation existed would break the new constraint: they
    say so instead of getting an invented reason. The historical model has no write guard, so goals of signed
    agreements are marked too (their signed PDF and Endfassung stay as they were)."""
    Goal = apps.get_model("agreements", "Goal")
    Goal.objects.filter(OUTSIDE).update(corridor_exception_reason=LEGACY_REASON)


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0012_pen_and_acceptance"),
    ]

    operations = [
        migrations.AddField(
            model_name="goal",
            name="corridor_exception_reason",
            field=models.TextField(
                blank=True, help_text="Nur bei einem Zielwert außerhalb des Korridors, dann erforderlich.",
                verbose_name="Begründung für den Zielwert außerhalb des Korridors",
            ),
        ),
        migrations.AddField(
            model_name="historicalgoal",
            name="corridor_exception_reason",
            field=models.TextField(
                blank=True, help_text="Nur bei einem Zielwert außerhalb des Korridors, dann erforderlich.",
                verbose_name="Begründung für den Zielwert außerhalb des Korridors",
            ),
        ),
        migrations.RunPython(mark_goals_saved_outside_their_corridor, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="goal",
            constraint=models.CheckConstraint(
                condition=(OUTSIDE & ~Q(corridor_exception_reason="")) | (~OUTSIDE & Q(corridor_exception_reason="")),
                name="goal_corridor_exception_has_reason",
            ),
        ),
    ]
