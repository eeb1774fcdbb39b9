# Only the FormSubmission model (issue 10, B.6): single-use tokens of create forms.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0008_reference_sources"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FormSubmission",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=64, verbose_name="Formularkennung")),
                ("path", models.CharField(max_length=300, verbose_name="Formularadresse")),
                ("object_id", models.PositiveBigIntegerField(
                    blank=True, null=True, verbose_name="Nummer des angelegten Eintrags")),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="abgeschickt")),
                ("content_type", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="contenttypes.contenttype", verbose_name="Art des angelegten Eintrags")),
                ("user", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL,
                    verbose_name="Benutzer/in")),
            ],
            options={
                "verbose_name": "abgeschicktes Formular",
                "verbose_name_plural": "abgeschickte Formulare",
                "constraints": [models.UniqueConstraint(fields=("user", "token"), name="form_submission_once")],
            },
        ),
    ]
