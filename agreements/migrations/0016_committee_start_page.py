import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The committee member's start page: when a consultation's result was recorded, and each user's last look at
    the start page (what is new since the last visit)."""

    dependencies = [
        ('agreements', '0015_follow_on_review'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='consultation',
            name='result_recorded_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='Ergebnis erfasst am'),
        ),
        migrations.AddField(
            model_name='historicalconsultation',
            name='result_recorded_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='Ergebnis erfasst am'),
        ),
        migrations.CreateModel(
            name='StartPageVisit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seen_at', models.DateTimeField(verbose_name='Startseite zuletzt angesehen')),
                ('login_at', models.DateTimeField(blank=True, null=True, verbose_name='Anmeldung dieses Besuchs')),
                ('since', models.DateTimeField(blank=True, help_text='Der letzte Blick auf die Startseite vor dieser Anmeldung; leer beim ersten Besuch.', null=True, verbose_name='Neu seit')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='Benutzer/in')),
            ],
            options={
                'verbose_name': 'Besuch der Startseite',
                'verbose_name_plural': 'Besuche der Startseite',
            },
        ),
    ]
