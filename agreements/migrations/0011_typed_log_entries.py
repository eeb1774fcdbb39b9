"""Timeline steps become typed entries: an action code and its data, phrased when read (agreements.text.entries).

The steps the system recorded so far hold German sentences. Each one is parsed back into its action and data
with the patterns below (the wordings the services wrote); it is converted only if the German rendering of what
was parsed is exactly the stored title and description, so nothing recorded is lost or reworded. A step that
matches nothing (a step entered by hand, an older wording) keeps its free text. The history records of the steps
are converted the same way, so the history page compares like with like.
"""

import datetime
import re

from django.apps import apps as current_apps
from django.db import migrations, models
from django.utils import translation

DAY = r"\d\d\.\d\d\.\d{4}"

# action: (kind, title pattern, description pattern). Group names are data keys; a trailing digit marks a
# repetition of a value the other text already gave; *_label groups are choice labels, turned into codes.
PATTERNS = {
    "agreement.created": ("status", r"Entwurf angelegt",
                          r"(?P<user>.+) hat den Entwurf der Zielvereinbarung angelegt\."),
    "letter.registered": ("schreiben", rf"Schreiben vom (?P<date>{DAY}): .*",
                          rf"(?P<sender>.+?) hat am (?P<date2>{DAY}) an (?P<recipient>.+) geschrieben "
                          r"\((?P<direction_label>[^()]+)\): „(?P<subject>.*)“\."),
    "version.sent": ("entwurf_uebersandt", r"Fassung (?P<number>\d+) übersandt von (?P<author>.+)",
                     r"(?P<author2>.+?) hat Fassung (?P<number2>\d+) der Zielvereinbarung „(?P<title>.*)“ als "
                     r"Entwurf an (?P<recipients>.+?) übersandt\. (?:Anmerkung: (?P<note>.*)|Eine Anmerkung wurde "
                     r"nicht beigefügt\.)"),
    "agreement.agreed": ("abgestimmt", r"Text abgestimmt \(Fassung (?P<number>\d+)\)",
                         r"(?P<party>.*) hat den Text als abgestimmt festgestellt; Fassung (?P<number2>\d+) ist die "
                         r"Endfassung, die unterzeichnet wird\."),
    "agreement.reopened": ("status", r"Abstimmung aufgehoben",
                           r"(?P<party>.*?) hat die Abstimmung aufgehoben\. Begründung: (?P<reason>.*)"),
    "signature.made": ("unterzeichnung", r"Unterzeichnet von (?P<party>.+)",
                       rf"(?P<name>.*?) \((?P<function>.*)\) hat die Zielvereinbarung am (?P<date>{DAY}) in "
                       r"(?P<place>.*) für (?P<party2>.*) unterzeichnet\."),
    "agreement.signed": ("status", r"Alle Unterschriften liegen vor",
                         r"Alle Parteien haben unterzeichnet\. Die unterzeichnete Fassung wurde als PDF/A "
                         r"gespeichert \(SHA-256 (?P<sha>[0-9a-f]*)\)\."),
    "agreement.refused": ("status", r"Unterzeichnung abgelehnt",
                          r"(?P<party>.*?) unterzeichnet die Zielvereinbarung nicht\. Begründung: (?P<reason>.*)"),
    "agreement.withdrawn": ("status", r"Zurückgezogen",
                            r"(?P<party>.*?) hat die Zielvereinbarung zurückgezogen\. Begründung: (?P<reason>.*)"),
    "agreement.started": ("status", r"Umsetzung begonnen",
                          r"(?P<party>.*) hat die Umsetzung der Zielvereinbarung begonnen\."),
    "agreement.closed": ("status", r"Abgeschlossen", r"(?P<party>.*) hat die Zielvereinbarung abgeschlossen\."),
    "agreement.amended": ("status", r"Nachtrag angelegt",
                          r"Der Nachtrag zur Zielvereinbarung „(?P<title>.*)“ wurde als Entwurf angelegt\."),
    "agreement.derived": ("status", r"Entwurf abgeleitet",
                          r"Die Zielvereinbarung für (?P<year>\d+) wurde aus „(?P<title>.*)“ abgeleitet\."),
    "agreement.derived_jobcenter": ("status", r"Entwurf abgeleitet",
                                    r"Die ähnlich lautende Zielvereinbarung (?P<year>\d+) mit dem Jobcenter wurde "
                                    r"aus „(?P<title>.*)“ abgeleitet\."),
    "review.recorded": ("nachhaltung", r"(?P<kind_label>.+)",
                        rf"Zielnachhaltung am (?P<date>{DAY}): (?P<count>\d+) Ziele? bewertet\.(?: Mit der "
                        r"Jahresauswertung ist die Vereinbarung bewertet\.)?"),
    "proposal.made": ("vorschlag", r"Vorschlag von (?P<party_short>.+)",
                      r"(?P<user>.*?) hat für (?P<party>.*?) vorgeschlagen: „(?P<text>.*)“"),
    "proposal.decided": ("vorschlag_entschieden", r"Vorschlag (?P<decision_label>.+)",
                         r"(?P<user>.*?) \((?P<deciding>.*?)\) hat entschieden: Der Vorschlag „(?P<text>.*?)“ von "
                         r"(?P<party>.*?) wird (?P<decision_label2>[^.]+)\.(?: Die frühere Entscheidung "
                         r"„(?P<previous_label>[^“]*)“ ist damit geändert\.)?(?: Begründung: (?P<reason>.*?))?"
                         r"(?: Beantwortet mit dem Schreiben „(?P<letter>.*)“\.)?"),
    "statement.recorded": ("stellungnahme", r"Stellungnahme: (?P<title>.*)",
                           rf"Stellungnahme von (?P<party>.*) vom (?P<date>{DAY}), erfasst von (?P<user>.*?)\."
                           r"(?P<annex> Sie wird als Anlage aufgenommen\.)?"),
    "vorlage.created": ("sonstiges", r"Vorlage (?P<reference>.+) angelegt",
                        r"Der Entwurf der Vorlage .+? „(?P<name>.*)“ wurde angelegt\."),
    "vorlage.released": ("sonstiges", r"Vorlage (?P<reference>.+) freigegeben",
                         r"Die Vorlage .+? „(?P<name>.*)“ wurde freigegeben; das PDF ist mit dem SHA-256 "
                         r"(?P<sha>[0-9a-f]*) gespeichert\."),
    "vorlage.consultation_started": ("sonstiges", r"Vorlage (?P<reference>.+) in Beratung",
                                     r"Die Beratung der Vorlage .+? „(?P<name>.*)“ in den Gremien hat begonnen\."),
    "vorlage.result_recorded": ("sonstiges", r"Vorlage (?P<reference>.+?): .*",
                                rf"Die Vorlage .+? wurde im Gremium „(?P<committee>.*)“(?: am (?P<date>{DAY}))? "
                                r"beraten: (?P<result_label>.*)\."),
    "vorlage.completed": ("sonstiges", r"Vorlage (?P<reference>.+) erledigt",
                          r"Die Beratung der Vorlage .+? „(?P<name>.*)“ ist abgeschlossen\."),
    "vorlage.withdrawn": ("sonstiges", r"Vorlage (?P<reference>.+) zurückgezogen",
                          r"Die Vorlage .+? „(?P<name>.*?)“ wurde zurückgezogen\. Begründung: (?P<reason>.*)"),
}
COMPILED = {
    action: (kind, re.compile(title, re.S), re.compile(description, re.S))
    for action, (kind, title, description) in PATTERNS.items()
}
# The choice a *_label group names: (model, field, data key).
LABELS = {
    "direction_label": ("Letter", "direction", "direction"),
    "kind_label": ("Review", "kind", "kind"),
    "decision_label": ("Proposal", "decision", "decision"),
    "previous_label": ("Proposal", "decision", "previous"),
    "result_label": ("Consultation", "result", "result"),
}
INTEGERS = ("number", "year", "count")
DATES = ("date",)


def _codes(model, field):
    """German label → code of a choice field (of the current code, as entries renders with it)."""
    choices = current_apps.get_model("agreements", model)._meta.get_field(field).flatchoices
    with translation.override("de"):
        return {str(label): code for code, label in choices}


def _names(text):
    if text == "keine weitere Stelle":
        return []
    first, _sep, last = text.rpartition(" und ")
    return [*first.split(", "), last] if first else [text]


def _data(action, values):
    """The data of `action` from the parsed groups; None when a label is not a known choice."""
    data = {}
    for key, value in values.items():
        if key[-1].isdigit():
            continue
        if key in LABELS:
            if value is None:
                continue
            model, field, target = LABELS[key]
            codes = _codes(model, field)
            if value not in codes:
                return None
            data[target] = codes[value]
        elif key in INTEGERS:
            data[key] = int(value)
        elif key in DATES:
            data[key] = datetime.datetime.strptime(value, "%d.%m.%Y").date().isoformat() if value else None
        elif key == "recipients":
            data[key] = _names(value)
        elif key == "annex":
            data[key] = value is not None
        else:
            data[key] = value or ""
    if action == "proposal.decided":
        data.setdefault("previous", "offen")
    return data


def parse(kind, title, description):
    """(action, data) whose German rendering is exactly `title` and `description`, or None."""
    from agreements.text import entries

    for action, (action_kind, title_pattern, description_pattern) in COMPILED.items():
        if kind != action_kind:
            continue
        title_match = title_pattern.fullmatch(title)
        description_match = description_pattern.fullmatch(description) if title_match else None
        if description_match is None:
            continue
        values = {**title_match.groupdict(), **description_match.groupdict()}
        data = _data(action, values)
        if data is None:
            continue
        try:
            entries.check(action, data)
            rendered = entries.render(action, data, "de")
        except (KeyError, ValueError, TypeError):
            continue
        if rendered == (title, description):
            return action, data
    return None


def _convert(queryset):
    for step in queryset.filter(automatic=True, action="").iterator():
        parsed = parse(step.kind, step.title, step.description)
        if parsed is not None:
            step.action, step.data = parsed
            step.title = step.description = ""
            step.save(update_fields=["action", "data", "title", "description"])


def _step_tables(apps):
    """The steps and their history records: both hold the recorded sentences."""
    return [apps.get_model("agreements", name).objects.all() for name in ("ProcedureStep", "HistoricalProcedureStep")]


def to_typed(apps, schema_editor):
    for queryset in _step_tables(apps):
        _convert(queryset)


def _restore(queryset):
    from agreements.text import entries

    for step in queryset.exclude(action="").iterator():
        rendered = entries.render(step.action, step.data, "de")
        if rendered is not None:
            step.title, step.description = rendered[0][:300], rendered[1]
            step.action, step.data = "", {}
            step.save(update_fields=["action", "data", "title", "description"])


def to_sentences(apps, schema_editor):
    for queryset in _step_tables(apps):
        _restore(queryset)


def _typed_fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="action",
            field=models.CharField(blank=True, default="", max_length=60, verbose_name="Aktion"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="data",
            field=models.JSONField(blank=True, default=dict, verbose_name="Daten"),
        ),
    ]


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0010_one_lock_version"),
    ]

    # The typed fields, on the steps and on their history records alike.
    operations = [
        *_typed_fields("historicalprocedurestep"),
        *_typed_fields("procedurestep"),
        migrations.RunPython(to_typed, to_sentences),
    ]
