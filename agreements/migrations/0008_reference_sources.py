# Written by hand (issue 16): only the reference-data fields, so that nobody else's pending model change is swept in.

from django.db import migrations, models

SOURCE = models.TextField(
    blank=True,
    help_text=(
        "Woher die Werte dieses Eintrags stammen (Fundstelle, Link). Wer einen Wert von Hand ändert, trägt hier "
        "die Quelle der Änderung ein."
    ),
    verbose_name="Quelle",
)
REFERENCE_VALUES = models.JSONField(
    blank=True, default=dict, editable=False,
    help_text="Die Werte, die load_reference zuletzt in diesen Eintrag geschrieben hat.",
    verbose_name="zuletzt geladene Referenzwerte",
)


def source_fields(model_name):
    return [
        migrations.AddField(model_name=model_name, name="source", field=SOURCE.clone()),
        migrations.AddField(model_name=model_name, name="reference_values", field=REFERENCE_VALUES.clone()),
    ]


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0007_cached_pdf_checksums"),
    ]

    operations = [
        *source_fields("party"),
        *source_fields("historicalparty"),
        *source_fields("indicator"),
        *source_fields("legalbasis"),
        migrations.AddField(
            model_name="indicator",
            name="numerator",
            field=models.TextField(blank=True, verbose_name="Zähler"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="denominator",
            field=models.TextField(blank=True, verbose_name="Nenner"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="computation",
            field=models.CharField(
                blank=True,
                choices=[
                    ("veraenderung", "Veränderung gegenüber dem Bezugsmonat des Vorjahres"),
                    ("quote", "Quote"),
                    ("durchschnitt", "Durchschnitt der Monatswerte"),
                ],
                max_length=20,
                verbose_name="Berechnung",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="window_months",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True,
                help_text="Über wie viele Monate summiert oder gemittelt wird (z. B. 12); leer bei einem Monatswert.",
                verbose_name="Zeitraum (Monate)",
            ),
        ),
    ]
