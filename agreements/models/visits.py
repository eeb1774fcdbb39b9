from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _


class StartPageVisit(models.Model):
    """When a user last saw the start page, and since when the current visit reports what is new.

    A visit is one login: its first look at the start page compares with the last look before that login, and every
    further look during the same login keeps that comparison (a reload does not make the news vanish). The login is
    told apart by the user's last_login, which Django sets at every login; last_login alone cannot serve, because by
    the time the start page is shown it is already the current login's time.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("Benutzer/in"), on_delete=models.CASCADE,
                                related_name="+")
    seen_at = models.DateTimeField(_("Startseite zuletzt angesehen"))
    login_at = models.DateTimeField(_("Anmeldung dieses Besuchs"), null=True, blank=True)
    since = models.DateTimeField(
        _("Neu seit"), null=True, blank=True,
        help_text=_("Der letzte Blick auf die Startseite vor dieser Anmeldung; leer beim ersten Besuch."),
    )

    class Meta:
        verbose_name = _("Besuch der Startseite")
        verbose_name_plural = _("Besuche der Startseite")

    def __str__(self):
        return f"{self.user} ({self.seen_at:%d.%m.%Y %H:%M})" if self.seen_at else str(self.user)

    @classmethod
    def record(cls, user, now):
        """Note that `user` sees the start page at `now`; returns since when the page reports news (None on the
        first visit ever, when there is nothing to compare with).

        Two tabs of one login that load at once compute the same values, so plain reads and writes suffice; two
        first visits at once meet at the unique user.
        """
        login = user.last_login
        row = cls.objects.filter(user=user).values("seen_at", "login_at", "since").first()
        if row is None:
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, seen_at=now, login_at=login)
                return None
            except IntegrityError:
                row = cls.objects.filter(user=user).values("seen_at", "login_at", "since").get()
        since = row["since"] if row["login_at"] == login else row["seen_at"]
        cls.objects.filter(user=user).update(seen_at=now, login_at=login, since=since)
        return since
