"""What the notifications app stores: each user's settings, the notices (one per user and deduplication key, ever),
the mails with their delivery state, and the claimed periods of the schedule."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import kinds


class Mode(models.TextChoices):
    IMMEDIATE = "sofort", _("sofort per E-Mail")
    DIGEST = "taeglich", _("in der täglichen Zusammenfassung")
    NEVER = "nie", _("nie")


DEFAULT_MODE = Mode.IMMEDIATE


class Preferences(models.Model):
    """A user's language for mails (set by the language switch and on the settings page) and, in KindSetting, how
    each kind of message reaches them. A user without a row gets every kind at once, in German."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), on_delete=models.CASCADE,
                                related_name="notification_preferences")
    language = models.CharField(_("Sprache der E-Mails"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    modified = models.DateTimeField(_("geändert"), auto_now=True)

    class Meta:
        verbose_name = _("Benachrichtigungseinstellungen")
        verbose_name_plural = _("Benachrichtigungseinstellungen")
        ordering = ["user__username"]

    def __str__(self):
        return str(self.user)


class KindSetting(models.Model):
    preferences = models.ForeignKey(Preferences, verbose_name=_("Einstellungen"), on_delete=models.CASCADE,
                                    related_name="kind_settings")
    kind = models.CharField(_("Art der Nachricht"), max_length=40, choices=kinds.choices)
    mode = models.CharField(_("Zustellung"), max_length=10, choices=Mode.choices, default=DEFAULT_MODE)

    class Meta:
        verbose_name = _("Einstellung je Art")
        verbose_name_plural = _("Einstellungen je Art")
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["preferences", "kind"], name="notifications_one_mode_per_kind")]

    def __str__(self):
        return f"{kinds.label(self.kind)}: {self.get_mode_display()}"


class Mail(models.Model):
    """One e-mail to one recipient, rendered when it was queued (so the admin shows what was sent), and its
    delivery: claimed by one worker at a time, retried with backoff, finally sent or failed with the reason."""

    class Status(models.TextChoices):
        QUEUED = "wartend", _("wartet")
        SENDING = "sendet", _("wird gesendet")
        RETRY = "erneut", _("neuer Versuch geplant")
        SENT = "gesendet", _("gesendet")
        FAILED = "fehlgeschlagen", _("fehlgeschlagen")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Empfänger"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to = models.EmailField(_("Adresse"))
    kind = models.CharField(_("Art der Nachricht"), max_length=40, choices=kinds.mail_choices)
    language = models.CharField(_("Sprache"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("Betreff"), max_length=300)
    body_text = models.TextField(_("Text"))
    body_html = models.TextField(_("HTML"))
    unsubscribe_url = models.CharField(_("Abbestell-Link"), max_length=1000, blank=True)
    status = models.CharField(_("Stand"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    last_error = models.TextField(_("letzter Fehler"), blank=True)
    created = models.DateTimeField(_("angelegt"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("nächster Versuch"), default=timezone.now)
    claimed_at = models.DateTimeField(_("zuletzt begonnen"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gesendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("E-Mail")
        verbose_name_plural = _("E-Mails")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notifications_mail_due")]

    def __str__(self):
        return f"{self.to}: {self.subject}"


class Notice(models.Model):
    """That `user` is to be told about something, under a deduplication key: a (user, key) pair exists once, so
    two workers, two schedule runs or a repeated step never tell anybody twice. Sent at once (mail), or kept for
    the daily digest until it is handled."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), on_delete=models.CASCADE,
                             related_name="notices")
    key = models.CharField(_("Schlüssel"), max_length=200)
    kind = models.CharField(_("Art der Nachricht"), max_length=40, choices=kinds.choices)
    mode = models.CharField(_("Zustellung"), max_length=10, choices=Mode.choices)
    target_label = models.CharField(_("betrifft"), max_length=300)
    url = models.CharField(_("Link"), max_length=1000)
    context = models.JSONField(_("Daten"), default=dict)
    created = models.DateTimeField(_("angelegt"), default=timezone.now)
    handled_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    mail = models.ForeignKey(Mail, verbose_name=_("E-Mail"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="notices")
    # Which notify() call inserted the row: rows a concurrent call inserted first keep theirs.
    batch = models.CharField(max_length=32, db_index=True, editable=False)
    # Which run of the daily digest took the notice (digest.send_digests); its mail is composed by a worker.
    digest_run = models.CharField(max_length=60, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("Benachrichtigung")
        verbose_name_plural = _("Benachrichtigungen")
        ordering = ["created", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notifications_once_per_user_and_key")]
        indexes = [models.Index(fields=["mode", "handled_at"], name="notifications_pending")]

    def __str__(self):
        return f"{self.user}: {kinds.label(self.kind)} – {self.target_label}"


class ScheduleRun(models.Model):
    """A periodic job's run in one period ("2026-06-09" for a daily job): the unique row is the claim, so the job
    runs once per period however many timers and machines call the schedule."""

    class Status(models.TextChoices):
        RUNNING = "laeuft", _("läuft")
        DONE = "erledigt", _("erledigt")
        FAILED = "fehlgeschlagen", _("fehlgeschlagen")

    job = models.CharField(_("Aufgabe"), max_length=60)
    period = models.CharField(_("Zeitraum"), max_length=20)
    status = models.CharField(_("Stand"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("begonnen"), default=timezone.now)
    finished_at = models.DateTimeField(_("beendet"), null=True, blank=True)
    worker = models.CharField(_("Prozess"), max_length=200, blank=True)
    error = models.TextField(_("Fehler"), blank=True)

    class Meta:
        verbose_name = _("Lauf des Zeitplans")
        verbose_name_plural = _("Läufe des Zeitplans")
        ordering = ["-started_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="notifications_once_per_period")]

    def __str__(self):
        return f"{self.job} {self.period}"
