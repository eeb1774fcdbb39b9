"""Django admin: the admins' tool for parties, people, committees and users, and a full view of every case.

Day-to-day work happens in the app's own views and services; the admin is the escape hatch. It therefore keeps
the few rules that protect data even here: submitted agreement versions, signed agreements and released Vorlagen
are shown read-only (a POST gets a message, never the model guard's 500), the lifecycle status is changed only
by the services, uploads pass the app's own content check, files are never served from MEDIA, and saves bump
the optimistic-locking counter so open forms elsewhere see a conflict.

base.py holds the one permission gate and the read-only base, locks.py the rules of locked records; the other
modules register the models of one area each (Django's autodiscovery imports this package, which imports them).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import agreements, parties, records, signing, users, vorlagen  # noqa: F401  (they register the model admins)

admin.site.site_header = _("Zielsteuerung – Verwaltung")
admin.site.site_title = _("Zielsteuerung")
admin.site.index_title = _("Stammdaten und Vorgänge")
