"""The main navigation, as a context processor: which links a user gets is decided here (with agreements.policy.access),
never in the template. The link of the section the current page belongs to is marked with aria-current."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.policy import access
from agreements.services import deadlines

# (URL name, label, URL prefixes that belong to the section); a link without prefixes is current only on its own
# page.
_SECTIONS = (
    ("dashboard", _("Übersicht"), ()),
    ("agreement_list", _("Zielvereinbarungen"), ("/vereinbarungen/",)),
    ("vorlage_list", _("Vorlagen"), ("/vorlagen/",)),
    ("vorlage_meetings", _("Meine Sitzungsunterlagen"), ("/vorlagen/sitzungsunterlagen/",)),
    ("overview_board", _("Statustafel"), ("/uebersicht/",)),
)


def _items(request):
    user = request.user
    sections = list(_SECTIONS)
    if access.can_read_audit_log(user):
        sections.append(("audit_log", _("Protokoll (Audit)"), ("/verwaltung/protokoll/",)))
    if access.can_use_admin(user):
        sections.append(("admin:index", _("Verwaltung"), ("/admin/",)))
    items = [{"url": reverse(name), "label": label, "prefixes": prefixes} for name, label, prefixes in sections]
    # One link is current: the page's own link, else the section with the longest URL prefix the page is under
    # (the past meetings under /vorlagen/sitzungsunterlagen/ belong to "Meine Sitzungsunterlagen", not "Vorlagen").
    under = [(len(p), item) for item in items for p in item["prefixes"] if request.path.startswith(p)]
    current = next((item for item in items if item["url"] == request.path), None) or (
        max(under, key=lambda pair: pair[0])[1] if under else None)
    for item in items:
        item["current"] = item is current
    return items


def _waiting(request):
    """ "Am Zug": what waits for the user's parties (Fassungen, proposals, deadlines due within the reminder period,
    services.deadlines.waiting_counts), with the link to the start page's list. One query."""
    counts = deadlines.waiting_counts(request.user)
    if not counts.acts_for_a_party:  # a committee member, an admin: nothing is ever "am Zug" for them
        return None
    return {"url": reverse("dashboard") + "#am-zug", "total": counts.total, "overdue": counts.overdue}


def _account_links():
    """The user's own pages, beside the name: the notification settings (notifications app) and the calendar feed."""
    return [{"url": reverse("notification_settings"), "label": _("Benachrichtigungen")},
            {"url": reverse("calendar_settings"), "label": _("Kalender abonnieren")}]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": _items(request), "nav_waiting": _waiting(request), "account_links": _account_links()}
