import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The checklist of a follow-on agreement: every passage copied from the agreement it was derived from, with
    the year references the copy moved or kept, reviewed before the first Fassung is sent."""

    dependencies = [
        ("agreements", "0014_proposal_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CopiedPassage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created", models.DateTimeField(auto_now_add=True, verbose_name="angelegt")),
                ("modified", models.DateTimeField(auto_now=True, db_index=True, verbose_name="geändert")),
                ("kind", models.CharField(choices=[
                    ("titel", "Titel"), ("praeambel", "Präambel"), ("rechtsgrundlagen", "weitere Rechtsgrundlagen"),
                    ("abschnitt", "Abschnitt"), ("ziel", "Ziel"), ("angebot", "Unterstützungsangebot"),
                ], max_length=20, verbose_name="Art")),
                ("label", models.CharField(blank=True, max_length=300, verbose_name="Bezeichnung")),
                ("content", models.JSONField(default=list, verbose_name="übernommener Text")),
                ("year_references", models.JSONField(default=list, verbose_name="Jahresangaben")),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="Reihenfolge")),
                ("reviewed_at", models.DateTimeField(blank=True, null=True, verbose_name="geprüft am")),
                ("agreement", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="copied_passages",
                    to="agreements.agreement", verbose_name="Zielvereinbarung")),
                ("goal", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                    related_name="copied_passages", to="agreements.goal", verbose_name="Ziel")),
                ("offer", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                    related_name="copied_passages", to="agreements.supportoffer",
                    verbose_name="Unterstützungsangebot")),
                ("reviewed_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                    to=settings.AUTH_USER_MODEL, verbose_name="geprüft von")),
                ("section", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                    related_name="copied_passages", to="agreements.agreementsection", verbose_name="Abschnitt")),
            ],
            options={
                "verbose_name": "übernommene Passage",
                "verbose_name_plural": "übernommene Passagen",
                "ordering": ["order", "id"],
                "constraints": [models.CheckConstraint(
                    condition=models.Q(
                        models.Q(("goal__isnull", True), ("kind", "abschnitt"), ("offer__isnull", True),
                                 ("section__isnull", False)),
                        models.Q(("goal__isnull", False), ("kind", "ziel"), ("offer__isnull", True),
                                 ("section__isnull", True)),
                        models.Q(("goal__isnull", True), ("kind", "angebot"), ("offer__isnull", False),
                                 ("section__isnull", True)),
                        models.Q(("goal__isnull", True), ("kind__in", ["titel", "praeambel", "rechtsgrundlagen"]),
                                 ("offer__isnull", True), ("section__isnull", True)),
                        _connector="OR",
                    ),
                    name="copied_passage_item_matches_kind",
                )],
            },
        ),
    ]
