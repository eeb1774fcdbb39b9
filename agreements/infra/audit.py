"""The audit log's writers: signal receivers for logins and for every write to a record that matters.

- Logins, logouts, failed logins and lockouts come from django.contrib.auth's and django-axes' signals.
- Writes to models with django-simple-history come from its post_create_historical_record signal: it fires for
  every history record, and simple-history's middleware has already found the user. Updates carry the changed
  fields as {field: [old, new]}, computed against the previous history record.
- A few models without history (see TRACKED_WITHOUT_HISTORY) and the user accounts are followed with
  pre_save/post_save/post_delete.

The entry is written in the same transaction as the change: a rolled-back change leaves no entry, and a
committed one always has its entry.
"""

import datetime
import ipaddress
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import translation
from simple_history import utils as history_utils
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

# Long texts are in the history in full; the log only needs enough to see what changed.
MAX_VALUE_LENGTH = 500
# Changes to these say nothing about the content: every save touches them.
IGNORED_FIELDS = frozenset({"modified", "created", "lock_version"})
MASKED = "********"

# Models without django-simple-history whose writes still belong in the log.
TRACKED_WITHOUT_HISTORY = (
    "agreements.AgreementVersion",
    "agreements.AgreementParty",
    "agreements.Document",
    "agreements.AgendaItem",
    "agreements.CommitteeMembership",
)
# What is logged of a user account: who may log in and with which rights; the password only as "changed".
USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser", "password")
SECRET_FIELDS = frozenset({"password"})


def _action():
    from agreements.models import AuditEntry

    return AuditEntry.Action


def _valid_ip(value):
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client's address. Also django-axes' AXES_CLIENT_IP_CALLABLE, so lockouts and the log agree.

    Behind N trusted proxies (AXES_IPWARE_PROXY_COUNT) the client is the N-th entry from the right of
    X-Forwarded-For: each proxy appends the address it was called from, and everything further left is what
    the client claimed. Without proxies the header is ignored, so nobody can choose their own address.
    """
    meta = getattr(request, "META", None) or {}
    remote = _valid_ip(meta.get("REMOTE_ADDR"))
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if proxies > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies]) or remote
    return remote


def _current_request():
    # Set by simple_history's HistoryRequestMiddleware for the duration of a request.
    return getattr(HistoricalRecords.context, "request", None)


def _request_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _clean(text, limit):
    # PostgreSQL stores no NUL character, in text or in JSON; a log entry must never fail on one.
    return str(text).replace("\x00", "")[:limit]


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    text = _clean(value, MAX_VALUE_LENGTH + 1)
    return text if len(text) <= MAX_VALUE_LENGTH else text[:MAX_VALUE_LENGTH] + "…"


def _label(model):
    return model._meta.label_lower


def _repr(instance):
    # Stored once, so in the language of the records, whoever acts: a typed timeline step phrases its title in
    # the active language (agreements.text.entries).
    try:
        with translation.override(settings.LANGUAGE_CODE):
            text = str(instance)
    except Exception:  # noqa: BLE001 - a __str__ that follows a relation deleted in the same cascade
        text = f"{instance._meta.verbose_name} {instance.pk}"
    return _clean(text, 300)


def write_entry(action, *, request=None, user=None, username=None, instance=None, model=None, object_id=None,
                object_repr=None, changes=None):
    """Append one entry. request/user/instance are all optional; the entry takes what it is given."""
    from agreements.models import AuditEntry

    if user is None and request is not None:
        user = _request_user(request)
    if username is None:
        username = user.get_username() if user is not None else ""
    if instance is not None:
        model = model or type(instance)
        object_id = instance.pk if object_id is None else object_id
        object_repr = _repr(instance) if object_repr is None else object_repr
    return AuditEntry.objects.create(
        action=action,
        user=user if user is not None and user.pk else None,
        username=_clean(username, 150),
        object_type=_label(model) if model is not None else "",
        object_id="" if object_id is None else _clean(object_id, 64),
        object_repr=_clean(object_repr or "", 300),
        changes=changes or {},
        ip_address=client_ip(request) if request is not None else None,
        path=_clean(getattr(request, "path", "") or "", 500) if request is not None else "",
    )


# Logins ------------------------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="audit_user_logged_in")
def _logged_in(sender, request, user, **kwargs):
    write_entry(_action().LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="audit_user_logged_out")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        write_entry(_action().LOGOUT, request=request, user=user)


def _claimed_user(username):
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


@receiver(user_login_failed, dispatch_uid="audit_user_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials`; only the name given is kept.
    username = _clean(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "", 150)
    write_entry(_action().LOGIN_FAILED, request=request, user=_claimed_user(username), username=username)


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    username = _clean(username or "", 150)
    write_entry(_action().LOCKED_OUT, request=request, user=_claimed_user(username), username=username)


def _connect_axes():
    try:
        from axes.signals import user_locked_out
    except ImportError:  # django-axes not installed: there are no lockouts to log
        return
    user_locked_out.connect(_locked_out, dispatch_uid="audit_user_locked_out")


_connect_axes()


# Writes to models with history -------------------------------------------------------------------------------


def _previous(history_instance):
    history = history_utils.get_history_manager_from_history(history_instance)
    date, pk = history_instance.history_date, history_instance.pk
    return (
        history.filter(Q(history_date__lt=date) | Q(history_date=date, pk__lt=pk))
        .order_by("-history_date", "-pk")
        .first()
    )


def history_changes(history_instance):
    """{field: [old, new]} against the previous record; {} when there is none."""
    previous = _previous(history_instance)
    if previous is None:
        return {}
    delta = history_instance.diff_against(previous, excluded_fields=IGNORED_FIELDS)
    return {
        change.field: [_jsonable(change.old), _jsonable(change.new)]
        for change in delta.changes
    }


HISTORY_ACTIONS = {"+": "create", "~": "update", "-": "delete"}


@receiver(post_create_historical_record, dispatch_uid="audit_history_record")
def _history_record(sender, instance, history_instance, history_user=None, **kwargs):
    action = HISTORY_ACTIONS.get(history_instance.history_type)
    if action is None:
        return
    request = _current_request()
    changes = history_changes(history_instance) if action == "update" else {}
    user = history_user if history_user is not None and getattr(history_user, "pk", None) else None
    # The sender is the historical model; the entry names the model itself.
    write_entry(action, request=request, user=user or _request_user(request), instance=instance,
                model=instance._meta.concrete_model, changes=changes)


# Writes to models without history ----------------------------------------------------------------------------


def _tracked_fields(model):
    if model is get_user_model():
        return [model._meta.get_field(name) for name in USER_FIELDS if _has_field(model, name)]
    # Not the derived fields (a document's extracted text): nobody edits them, and they can be long.
    return [f for f in model._meta.concrete_fields
            if not f.primary_key and f.editable and f.name not in IGNORED_FIELDS]


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except LookupError:
        return False
    return True


def _snapshot_before(sender, instance, raw=False, update_fields=None, **kwargs):
    """Remember the stored values before an update, so post_save can tell what changed (one query)."""
    instance._audit_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = _tracked_fields(sender)
    if update_fields is not None:
        fields = [f for f in fields if f.name in update_fields or f.attname in update_fields]
        if not fields:  # e.g. a login saving last_login only
            instance._audit_before = {}
            return
    instance._audit_before = (
        sender._base_manager.filter(pk=instance.pk).values(*[f.attname for f in fields]).first() or {}
    )


def _diff(sender, instance, before):
    changes = {}
    for field in _tracked_fields(sender):
        if field.attname not in before:
            continue
        old, new = before[field.attname], getattr(instance, field.attname)
        if old != new:
            if field.name in SECRET_FIELDS:
                changes[field.name] = [MASKED, MASKED]
            else:
                changes[field.name] = [_jsonable(old), _jsonable(new)]
    return changes


def _saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata
        return
    if created:
        write_entry(_action().CREATE, request=_current_request(), instance=instance)
        return
    before = getattr(instance, "_audit_before", None)
    changes = _diff(sender, instance, before) if before else {}
    # Without history nothing else records the save: an update that changed nothing tracked is no news.
    if changes:
        write_entry(_action().UPDATE, request=_current_request(), instance=instance, changes=changes)


def _deleted(sender, instance, **kwargs):
    write_entry(_action().DELETE, request=_current_request(), instance=instance)


def _connect_models_without_history():
    models = [apps.get_model(label) for label in TRACKED_WITHOUT_HISTORY] + [get_user_model()]
    for model in models:
        uid = f"audit_{_label(model)}"
        pre_save.connect(_snapshot_before, sender=model, dispatch_uid=f"{uid}_pre_save")
        post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}_post_save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}_post_delete")


_connect_models_without_history()
