import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OPEN = ("entwurf", "in_verhandlung")


def pass_the_pen(apps, schema_editor):
    """An open agreement that has exchanged Fassungen: the pen is with the party after the last sender (in the
    agreement's order of parties). Without a Fassung the model's rule applies (the kommunaler Träger drafts)."""
    Agreement = apps.get_model("agreements", "Agreement")
    AgreementParty = apps.get_model("agreements", "AgreementParty")
    AgreementVersion = apps.get_model("agreements", "AgreementVersion")
    for agreement in Agreement.objects.filter(status__in=OPEN, pen_party__isnull=True):
        last = AgreementVersion.objects.filter(agreement=agreement).order_by("-number").first()
        if last is None:
            continue
        order = list(AgreementParty.objects.filter(agreement=agreement).order_by("order", "id")
                     .values_list("party_id", flat=True))
        if last.author_party_id in order and len(order) > 1:
            after = order[(order.index(last.author_party_id) + 1) % len(order)]
            Agreement.objects.filter(pk=agreement.pk).update(pen_party_id=after)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0011_typed_log_entries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='agreement',
            name='pen_party',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agreements.party', verbose_name='am Zug'),
        ),
        migrations.AddField(
            model_name='historicalagreement',
            name='pen_party',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.party', verbose_name='am Zug'),
        ),
        migrations.CreateModel(
            name='Acceptance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('accepted_at', models.DateTimeField(verbose_name='angenommen am')),
                ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='angenommen durch')),
                ('agreement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='agreements.agreement', verbose_name='Zielvereinbarung')),
                ('party', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='agreements.party', verbose_name='Stelle')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='agreements.agreementversion', verbose_name='Fassung')),
            ],
            options={
                'verbose_name': 'Annahme einer Fassung',
                'verbose_name_plural': 'Annahmen von Fassungen',
                'ordering': ['version', 'accepted_at', 'id'],
                'constraints': [models.UniqueConstraint(fields=('version', 'party'), name='acceptance_once_per_party')],
            },
        ),
        migrations.RunPython(pass_the_pen, migrations.RunPython.noop),
    ]
