import re
from decimal import Decimal

from crispy_forms.layout import Column, Div, Fieldset, Row
from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..models.agreements import corridor_breach, corridor_breach_message
from .base import LockedForm, RecordSelect, helper
from .parties import party_choices

NUMBER_FIELDS = ("reference_value", "corridor_low", "corridor_high", "target_value")
CONFIRMATION_FIELDS = ("corridor_exception_confirmed", "corridor_exception_reason")
CORRIDOR_REASON_MAX_LENGTH = 2000
# "1.234.567,5": dots in the thousands positions only.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")


class LocalDecimalField(forms.DecimalField):
    """A decimal in the user's language, stored with the model's three decimal places.

    Django alone reads a German "1.500" as 1.5 (the dot is not the German decimal separator, so it is left
    as it is). Where the comma is the decimal separator, dots are accepted as thousands separators and
    anything else with a dot is refused, so a number is never silently read wrong.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("required", False)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"  # a keypad with the comma on phones and tablets
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "")
            if get_format("DECIMAL_SEPARATOR") == "," and "." in value:
                if not _GROUPED.match(value):
                    raise forms.ValidationError(
                        _("Bitte das Komma als Dezimaltrennzeichen verwenden, z. B. 12,5."), code="invalid"
                    )
                value = value.replace(".", "")
        return super().to_python(value)

    def clean(self, value):
        value = super().clean(value)
        # Same precision as the database, so the conflict page compares like with like.
        return value.quantize(Decimal("0.001")) if value is not None else None

    def prepare_value(self, value):
        # Show 12,5 rather than 12,500 when the form opens.
        if isinstance(value, Decimal):
            value = value.normalize()
            if value == value.to_integral_value():
                value = value.quantize(Decimal(1))
        return super().prepare_value(value)


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Sub-indicators (K1E1 …) are indented under their main indicator.
        prefix = "\u2003" if obj.parent_id else ""
        return f"{prefix}{obj.code} – {obj.name}"


def _indicator_queryset():
    # Main indicators first, each followed by its sub-indicators.
    return m.Indicator.objects.order_by("order", "code")


def _ordered_indicators(queryset):
    items = list(queryset)
    children = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    ordered = []

    def walk(parent_id):
        for item in children.get(parent_id, []):
            ordered.append(item)
            walk(item.pk)

    walk(None)
    seen = {i.pk for i in ordered}
    ordered += [i for i in items if i.pk not in seen]
    return ordered


class GoalForm(LockedForm):
    kind = forms.ChoiceField(label=_("Zielart"), choices=m.Goal.Kind.choices)
    level = forms.ChoiceField(label=_("Zielebene"), choices=m.Goal.Level.choices, initial=m.Goal.Level.LOCAL)
    area = forms.ChoiceField(label=_("Handlungsfeld"), choices=m.Goal.Area.choices, initial=m.Goal.Area.OTHER)
    title = forms.CharField(label=_("Titel"), max_length=300)
    text = forms.CharField(
        label=_("Beschreibung"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    direction = forms.ChoiceField(
        label=_("Tendenz"), required=False, choices=[("", "–")] + list(m.Goal.Direction.choices),
        help_text=_("Bei qualitativen Zielen erforderlich."),
    )
    indicator = IndicatorChoiceField(
        label=_("Kennzahl"), required=False, queryset=_indicator_queryset(), empty_label="–", widget=RecordSelect,
        help_text=_("Bei quantitativen Zielen erforderlich."),
    )
    reference_value = LocalDecimalField(label=_("Referenzwert"))
    corridor_low = LocalDecimalField(label=_("Korridor untere Grenze"))
    corridor_high = LocalDecimalField(label=_("Korridor obere Grenze"))
    target_value = LocalDecimalField(label=_("Zielwert"))
    unit = forms.CharField(
        label=_("Einheit"), required=False, max_length=40, help_text=_("z. B. %, Euro, Personen")
    )
    # Shown only for a target value outside its corridor (see show_corridor_confirmation).
    corridor_exception_confirmed = forms.BooleanField(
        label=_("Ich bestätige den Zielwert außerhalb des Korridors."), required=False,
    )
    corridor_exception_reason = forms.CharField(
        label=_("Begründung für den Zielwert außerhalb des Korridors"), required=False,
        max_length=CORRIDOR_REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Wird beim Ziel angezeigt und ist Teil des vereinbarten Textes."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        # One query for the choices, with sub-indicators listed under their main indicator.
        indicators = _ordered_indicators(field.queryset)
        field.choices = [("", field.empty_label)] + [
            (field.prepare_value(i), field.label_from_instance(i)) for i in indicators
        ]
        self.values = Fieldset(
            _("Werte"),
            Row(Column("reference_value"), Column("corridor_low"), Column("corridor_high"),
                Column("target_value"), Column("unit")),
        )
        self.helper = helper(
            Row(Column("kind"), Column("level"), Column("area")),
            "title", "text",
            Row(Column("direction"), Column("indicator")),
            self.values,
            "lock_version",
        )
        # A goal confirmed before, or a confirmation just sent: keep it in view whatever else the form says.
        given = self.data if self.is_bound else self.initial
        if any(given.get(self.add_prefix(name) if self.is_bound else name) for name in CONFIRMATION_FIELDS):
            self.show_corridor_confirmation()

    def show_corridor_confirmation(self):
        """Put the confirmation and its reason under the values: it is asked for only when it is needed."""
        if not getattr(self, "confirmation_shown", False):
            self.values.append(Div(*CONFIRMATION_FIELDS, css_class="corridor-confirmation"))
            self.confirmation_shown = True

    def _check_corridor(self, data):
        """services.goals.check_goal's corridor rule, with the confirmation the form asks for."""
        target, low, high = (data.get(name) for name in ("target_value", "corridor_low", "corridor_high"))
        if data.get("kind") == m.Goal.Kind.QUALITATIVE or corridor_breach(target, low, high) is None:
            data["corridor_exception_reason"] = ""  # nothing to confirm: a reason left from before goes
            return
        if low is not None and high is not None and low > high:
            return  # the upside-down corridor is the error to fix first
        self.show_corridor_confirmation()
        if not data.get("corridor_exception_confirmed"):
            self.add_error("corridor_exception_confirmed", _(
                "%(breach)s Bitte bestätigen Sie den Zielwert und begründen Sie ihn, oder passen Sie die Werte an."
            ) % {"breach": corridor_breach_message(target, low, high, data.get("unit") or "")})
        elif not data.get("corridor_exception_reason"):
            self.add_error("corridor_exception_reason", _(
                "Bitte begründen Sie, warum der Zielwert außerhalb des Korridors liegt."
            ))

    def clean(self):
        data = super().clean()
        low, high = data.get("corridor_low"), data.get("corridor_high")
        if low is not None and high is not None and low > high:
            self.add_error(
                "corridor_high", _("Die obere Grenze des Korridors liegt unter der unteren Grenze.")
            )
        kind = data.get("kind")
        if kind == m.Goal.Kind.QUALITATIVE:
            filled = [name for name in NUMBER_FIELDS if data.get(name) is not None]
            if filled:
                labels = ", ".join(str(self.fields[name].label) for name in filled)
                self.add_error(None, _(
                    "Ein qualitatives Ziel (Leitziel) nennt nur eine Tendenz und enthält keine Zahlenwerte. "
                    "Bitte leeren Sie: %(fields)s – oder wählen Sie „quantitativ“ oder „Monitoring“."
                ) % {"fields": labels})
                for name in filled:
                    self.add_error(name, _("Bei einem qualitativen Ziel bitte leer lassen."))
            if not data.get("direction"):
                self.add_error("direction", _("Ein qualitatives Ziel braucht eine Tendenz."))
        elif kind == m.Goal.Kind.QUANTITATIVE and not data.get("indicator"):
            self.add_error("indicator", _("Ein quantitatives Ziel braucht eine Kennzahl."))
        self._check_corridor(data)
        return data


def goal_initial(goal):
    initial = {name: getattr(goal, name) for name in (
        "kind", "level", "area", "title", "text", "direction", "unit", *NUMBER_FIELDS, "lock_version",
        *CONFIRMATION_FIELDS,
    )}
    initial["indicator"] = goal.indicator_id
    return initial


class OfferForm(LockedForm):
    topic = forms.ModelChoiceField(label=_("Themenschwerpunkt"), queryset=m.Topic.objects.order_by("number"),
                                   widget=RecordSelect)
    title = forms.CharField(label=_("Titel"), max_length=300)
    text = forms.CharField(
        label=_("Beschreibung"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    provider = forms.ModelChoiceField(label=_("Anbieter"), queryset=m.Party.objects.none())
    coordinated_with = forms.ModelChoiceField(
        label=_("abgestimmt mit"), required=False, queryset=m.Party.objects.none(),
        help_text=_("z. B. die Regionaldirektion NRW der Bundesagentur für Arbeit"),
    )
    status = forms.ChoiceField(label=_("Stand"), choices=m.SupportOffer.Status.choices,
                               initial=m.SupportOffer.Status.PLANNED)

    def __init__(self, *args, agreement, offer=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = (offer.provider_id, offer.coordinated_with_id) if offer is not None else ()
        parties = party_choices(agreement, current)
        self.fields["provider"].queryset = parties
        self.fields["coordinated_with"].queryset = parties
        self.helper = helper(
            "topic", "title", "text",
            Row(Column("provider"), Column("coordinated_with"), Column("status")),
            "lock_version",
        )

    def clean(self):
        data = super().clean()
        provider, partner = data.get("provider"), data.get("coordinated_with")
        if provider is not None and partner is not None and provider.pk == partner.pk:
            self.add_error("coordinated_with", _("Bitte eine andere Stelle als den Anbieter wählen."))
        return data


def offer_initial(offer):
    return {
        "topic": offer.topic_id, "title": offer.title, "text": offer.text, "provider": offer.provider_id,
        "coordinated_with": offer.coordinated_with_id, "status": offer.status,
        "lock_version": offer.lock_version,
    }
