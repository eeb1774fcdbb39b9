"""The errors every layer raises and understands: a refused action with a message for the user."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused action; the message is German and shown to the user as it is."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


class ConflictError(DomainError):
    """Somebody saved the object after the user opened the form: nothing was written."""

    def __init__(self, current, submitted):
        super().__init__(_("Der Datensatz wurde inzwischen von jemand anderem geändert."))
        self.current = current
        self.submitted = submitted
