from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0006_archived_user_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="CachedPdf",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name="Schlüssel")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("size", models.PositiveBigIntegerField(verbose_name="Größe (Bytes)")),
                ("written", models.DateTimeField(auto_now=True, verbose_name="geschrieben")),
            ],
            options={
                "verbose_name": "zwischengespeichertes PDF",
                "verbose_name_plural": "zwischengespeicherte PDFs",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("sha256__regex", "^[0-9a-f]{64}$")),
                                           name="cachedpdf_sha256_hex"),
                ],
            },
        ),
    ]
