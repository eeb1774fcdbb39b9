from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """A create form that was sent: the single-use token it was rendered with, and what it created.

    A double click, the back button with "send again", or a retry after a slow answer sends the same token again.
    The (user, token) constraint lets exactly one of them through, on SQLite and PostgreSQL alike, even when the
    copies arrive at the same moment; the others are led to the record the first one created (views.base.once).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Benutzer/in"), on_delete=models.CASCADE,
                             related_name="+")
    token = models.CharField(_("Formularkennung"), max_length=64)
    path = models.CharField(_("Formularadresse"), max_length=300)
    content_type = models.ForeignKey(ContentType, verbose_name=_("Art des angelegten Eintrags"), null=True,
                                     blank=True, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField(_("Nummer des angelegten Eintrags"), null=True, blank=True)
    # What the form said (views.base.fingerprint), so that the same entry sent again from the form opened anew is
    # noticed: the back button and "send" once more.
    fingerprint = models.CharField(_("Prüfwert des Inhalts"), max_length=64, blank=True)
    created = models.DateTimeField(_("abgeschickt"), auto_now_add=True)

    class Meta:
        verbose_name = _("abgeschicktes Formular")
        verbose_name_plural = _("abgeschickte Formulare")
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="form_submission_once")]

    def __str__(self):
        return f"{self.path} ({self.created:%d.%m.%Y %H:%M})" if self.created else self.path

    @classmethod
    def claim(cls, *, user, token, path, fingerprint=""):
        """(the new submission, None) if this token is sent for the first time, else (None, the earlier one).

        Call inside the transaction that creates the record: a concurrent claim of the same token waits for
        that transaction (PostgreSQL: on the unique index; SQLite: IMMEDIATE transactions) and then sees it.
        """
        try:
            with transaction.atomic():
                return cls.objects.create(user=user, token=token, path=path[:300], fingerprint=fingerprint), None
        except IntegrityError:
            return None, cls.objects.select_related("content_type").get(user=user, token=token)

    def recent_alike(self, since):
        """The latest other submission of this user's, from the same form with the same content, made after `since`,
        whose record still exists; or None."""
        if not self.fingerprint:
            return None
        alike = (FormSubmission.objects.select_related("content_type")
                 .filter(user_id=self.user_id, path=self.path, fingerprint=self.fingerprint, created__gte=since,
                         object_id__isnull=False)
                 .exclude(pk=self.pk).order_by("-created", "-pk"))
        return next((earlier for earlier in alike[:3] if earlier.created_object() is not None), None)

    def record(self, obj):
        """Remember what the submission created, so a repeat can lead there."""
        if isinstance(obj, models.Model) and obj.pk is not None:
            self.content_type = ContentType.objects.get_for_model(obj)
            self.object_id = obj.pk
            self.save(update_fields=["content_type", "object_id"])

    def created_object(self):
        """The record created the first time, or None (gone since, or nothing recorded)."""
        if self.content_type_id is None or self.object_id is None:
            return None
        model = self.content_type.model_class()
        return None if model is None else model._default_manager.filter(pk=self.object_id).first()
