"""What the system records on an agreement's timeline, as an action code with its data, phrased when read.

As pretix's LogEntry: a ProcedureStep the system records stores `action` (a code from ACTIONS) and `data` (the
names, references, numbers, dates and reasons the sentence needs, snapshotted when it happened, so that renaming a
party later does not rewrite history). The sentences are rendered here, in the active language: an English reader
sees English, the Vorlage and the PDFs ask for German (PAPER_LANGUAGE). Steps entered by hand have no action and
keep their free text.

Pure: no database. Data holds codes for choices (a letter's direction, a proposal's decision, a committee's result,
a review's kind); their labels come from the model field's choices, so the label is in the reader's language too.
Dates are stored as ISO strings and printed as the short date of the language phrased in (dd.mm.yyyy in German,
dd/mm/yyyy in English).
"""

import contextlib
import datetime
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

# The Vorlage, the PDFs and everything filed are written in German, whatever language the reader uses.
PAPER_LANGUAGE = "de"


def day(value):
    """A stored date (ISO string or date) as the active language's short date: dd.mm.yyyy in German (the Vorlage,
    the PDFs), dd/mm/yyyy in English (zielsteuerung/formats/en); empty when there is none."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def choice_label(model, field_name, code):
    """The label of a stored choice code in the active language; the code itself if it is no longer a choice."""
    choices = dict(apps.get_model("agreements", model)._meta.get_field(field_name).flatchoices)
    return str(choices.get(code, code))


def join_names(names):
    names = [str(n) for n in names]
    if not names:
        return gettext("keine weitere Stelle")
    if len(names) == 1:
        return names[0]
    return gettext("%(first)s und %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


@dataclass(frozen=True)
class Action:
    """One kind of recorded step: its title and description as templates over the data.

    `title`/`description` are gettext_lazy templates filled with the data (after `prepare`), or functions of the
    data when the sentence is built from parts. `keys` are the data every entry of this action must carry.
    """

    code: str
    title: object
    description: object
    keys: tuple = ()
    prepare: object = None
    dates: tuple = field(default=())

    def values(self, data):
        values = dict(data)
        for key in self.dates:
            values[key] = day(values.get(key))
        if self.prepare is not None:
            values.update(self.prepare(data))
        return values

    def render(self, data):
        values = self.values(data)
        return _fill(self.title, values), _fill(self.description, values)


def _fill(template, values):
    if isinstance(template, Promise):
        return str(template) % values
    return str(template(values))


# --- Sentences built from parts ---------------------------------------------------------------------------------

def _letter_title(v):
    title = gettext("Schreiben vom %(date)s: %(subject)s") % {
        "date": v["date"], "subject": Truncator(v["subject"]).chars(200)}
    return Truncator(title).chars(300)


def _version_sent(v):
    sentence = gettext("%(author)s hat Fassung %(number)s der Zielvereinbarung „%(title)s“ als Entwurf an "
                       "%(recipients)s übersandt.") % {
        "author": v["author"], "number": v["number"], **_source(v),
        "recipients": join_names(v["recipients"]),
    }
    if v.get("note"):
        addition = gettext("Anmerkung: %(note)s") % {"note": v["note"]}
    else:
        addition = gettext("Eine Anmerkung wurde nicht beigefügt.")
    if v.get("pen"):
        addition += " " + gettext("Am Zug ist nun %(party)s.") % {"party": v["pen"]}
    return f"{sentence} {addition}"


def _review_description(v):
    final = v["kind"] == "jahresabschluss"
    return ngettext(
        "Zielnachhaltung am %(date)s: %(count)s Ziel bewertet.%(final)s",
        "Zielnachhaltung am %(date)s: %(count)s Ziele bewertet.%(final)s",
        v["count"],
    ) % {
        "date": v["date"], "count": v["count"],
        "final": " " + gettext("Mit der Jahresauswertung ist die Vereinbarung bewertet.") if final else "",
    }


def _decision_label(code):
    return choice_label("Proposal", "decision", code)


def _passage(applied):
    """The passage an adopted change was applied to: {"section": heading} or {"goal": title, "fields": [names]};
    entries written before it was data hold the German phrase itself."""
    if isinstance(applied, str):
        return applied
    if "section" in applied:
        return gettext("Wortlaut von „%(heading)s“") % {"heading": applied["section"]}
    goal = apps.get_model("agreements", "Goal")
    names = ", ".join(str(goal._meta.get_field(name).verbose_name) if name in _goal_fields(goal) else name
                      for name in applied.get("fields") or ())
    return gettext("Ziel „%(title)s“ (%(fields)s)") % {"title": applied.get("goal", ""), "fields": names}


def _goal_fields(model):
    return {f.name for f in model._meta.get_fields()}


def _decision_description(v):
    parts = [
        gettext("%(user)s (%(deciding)s) hat entschieden: Der Vorschlag „%(text)s“ von %(party)s wird "
                "%(decision)s.") % {
            "user": v["user"], "deciding": v["deciding"], "text": v["text"], "party": v["party"],
            "decision": _decision_label(v["decision"]),
        }
    ]
    if v.get("previous") and v["previous"] != "offen":
        parts.append(gettext("Die frühere Entscheidung „%(previous)s“ ist damit geändert.")
                     % {"previous": _decision_label(v["previous"])})
    if v.get("reason"):
        parts.append(gettext("Begründung: %(reason)s") % {"reason": v["reason"]})
    if v.get("applied"):
        parts.append(gettext("Die Änderung steht damit im Arbeitstext: %(passage)s.")
                     % {"passage": _passage(v["applied"])})
    if v.get("letter"):
        parts.append(gettext("Beantwortet mit dem Schreiben „%(letter)s“.") % {"letter": v["letter"]})
    return " ".join(parts)


def _statement_description(v):
    text = gettext("Stellungnahme von %(party)s vom %(date)s, erfasst von %(user)s.") % {
        "party": v["party"], "date": v["date"], "user": v["user"]}
    if v.get("annex"):
        text += " " + gettext("Sie wird als Anlage aufgenommen.")
    return text


def _result_description(v):
    values = {"reference": v["reference"], "committee": v["committee"], "result": v["result"]}
    if v.get("date"):
        return gettext("Die Vorlage %(reference)s wurde im Gremium „%(committee)s“ am %(date)s beraten: "
                       "%(result)s.") % {**values, "date": v["date"]}
    return gettext("Die Vorlage %(reference)s wurde im Gremium „%(committee)s“ beraten: %(result)s.") % values


def _follow_up_description(v):
    values = {"reference": v["reference"], "committee": v["committee"], "date": v["date"]}
    if v.get("postponed"):
        return gettext("Die im Gremium „%(committee)s“ am %(postponed)s vertagte Vorlage %(reference)s wird dort am "
                       "%(date)s erneut beraten.") % {**values, "postponed": v["postponed"]}
    return gettext("Die im Gremium „%(committee)s“ vertagte Vorlage %(reference)s wird dort am %(date)s erneut "
                   "beraten.") % values


def _derived(sentence):
    """The sentence of a derived agreement, and, for one derived since copies are reviewed (issue 12), what went on
    its checklist (services.follow_on)."""

    def description(v):
        text = str(sentence) % v
        if "passages" not in v:
            return text
        text += " " + ngettext(
            "%(count)s übernommene Passage steht auf der Prüfliste",
            "%(count)s übernommene Passagen stehen auf der Prüfliste", v["passages"],
        ) % {"count": v["passages"]}
        moved = v.get("moved") or 0
        if moved:
            text += "; " + ngettext("%(count)s Jahresangabe wurde auf das neue Jahr umgestellt.",
                                    "%(count)s Jahresangaben wurden auf das neue Jahr umgestellt.", moved) % {
                "count": moved}
        else:
            text += "."
        return text

    return description


def _source(data):
    """The agreement an entry names by its short title ("ZV 2012 MAIS NRW – Kreis Mettmann"); entries written
    before short titles existed keep the full title they stored."""
    return {"title": data.get("source") or data["title"]}


def _passages_reviewed(v):
    text = ngettext(
        "%(user)s (%(party)s) hat %(count)s übernommene Passage als geprüft markiert.",
        "%(user)s (%(party)s) hat %(count)s übernommene Passagen als geprüft markiert.", v["count"],
    ) % {"user": v["user"], "party": v["party"], "count": v["count"]}
    if v["open"]:
        return text + " " + ngettext("Noch offen: %(count)s Passage.", "Noch offen: %(count)s Passagen.",
                                     v["open"]) % {"count": v["open"]}
    return text + " " + gettext("Damit sind alle übernommenen Passagen geprüft.")

# A deadline names its kind (a code, phrased in the reader's language) and, for "sonstige Frist", its own title.
DEADLINE_KEYS = ("kind", "title", "owner", "due", "user")


def _deadline_label(data):
    return {"label": data.get("title") or choice_label("Deadline", "kind", data["kind"])}


def _deadline_changed(v):
    text = gettext("%(user)s hat die Frist „%(label)s“ für %(owner)s auf den %(due)s gesetzt.") % v
    if v.get("previous"):
        text += " " + gettext("Bisher war sie am %(previous)s fällig.") % {"previous": day(v["previous"])}
    return text


def _deadline_met(v):
    if v["by"] == "version.sent":
        return gettext("Mit der Übersendung der Fassung %(number)s ist die am %(due)s fällige Frist „%(label)s“ von "
                       "%(owner)s erledigt.") % v
    if v["by"] == "agreement.agreed":
        return gettext("Mit der Abstimmung des Textes (Endfassung %(number)s) ist die am %(due)s fällige Frist "
                       "„%(label)s“ von %(owner)s erledigt: Ein weiterer Entwurf ist nicht mehr fällig.") % v
    return gettext("Mit der Unterzeichnung durch alle Partner ist die am %(due)s fällige Frist „%(label)s“ von "
                   "%(owner)s erledigt.") % v


# --- The registry -----------------------------------------------------------------------------------------------

_ACTIONS = [
    Action("agreement.created", _("Entwurf angelegt"),
           _("%(user)s hat den Entwurf der Zielvereinbarung angelegt."), keys=("user",)),
    Action("letter.registered", _letter_title,
           _("%(sender)s hat am %(date)s an %(recipient)s geschrieben (%(direction)s): „%(subject)s“."),
           keys=("date", "subject", "sender", "recipient", "direction"), dates=("date",),
           prepare=lambda d: {"direction": choice_label("Letter", "direction", d["direction"])}),
    Action("version.sent", _("Fassung %(number)s übersandt von %(author)s"), _version_sent,
           keys=("number", "author", "title", "recipients", "note")),
    Action("version.accepted", _("Fassung %(number)s angenommen von %(party)s"),
           _("%(user)s hat Fassung %(number)s für %(party)s angenommen."), keys=("number", "party", "user")),
    Action("agreement.agreed", _("Text abgestimmt (Fassung %(number)s)"),
           _("%(party)s hat den Text als abgestimmt festgestellt; Fassung %(number)s ist die Endfassung, die "
             "unterzeichnet wird."), keys=("number", "party")),
    Action("agreement.reopened", _("Abstimmung aufgehoben"),
           _("%(party)s hat die Abstimmung aufgehoben. Begründung: %(reason)s"), keys=("party", "reason")),
    Action("signature.made", _("Unterzeichnet von %(party)s"),
           _("%(name)s (%(function)s) hat die Zielvereinbarung am %(date)s in %(place)s für %(party)s "
             "unterzeichnet."), keys=("party", "name", "function", "date", "place"), dates=("date",)),
    Action("agreement.signed", _("Alle Unterschriften liegen vor"),
           _("Alle Parteien haben unterzeichnet. Die unterzeichnete Fassung wurde als PDF/A gespeichert "
             "(SHA-256 %(sha)s)."), keys=("sha",)),
    Action("agreement.refused", _("Unterzeichnung abgelehnt"),
           _("%(party)s unterzeichnet die Zielvereinbarung nicht. Begründung: %(reason)s"),
           keys=("party", "reason")),
    Action("agreement.withdrawn", _("Zurückgezogen"),
           _("%(party)s hat die Zielvereinbarung zurückgezogen. Begründung: %(reason)s"),
           keys=("party", "reason")),
    Action("agreement.started", _("Umsetzung begonnen"),
           _("%(party)s hat die Umsetzung der Zielvereinbarung begonnen."), keys=("party",)),
    Action("agreement.closed", _("Abgeschlossen"),
           _("%(party)s hat die Zielvereinbarung abgeschlossen."), keys=("party",)),
    Action("agreement.amended", _("Nachtrag angelegt"),
           _("Der Nachtrag zur Zielvereinbarung „%(title)s“ wurde als Entwurf angelegt."), keys=("title",),
           prepare=_source),
    Action("agreement.derived", _("Entwurf abgeleitet"),
           _derived(_("Die Zielvereinbarung für %(year)s wurde aus „%(title)s“ abgeleitet.")), keys=("year", "title"),
           prepare=_source),
    Action("agreement.derived_jobcenter", _("Entwurf abgeleitet"),
           _derived(_("Die ähnlich lautende Zielvereinbarung %(year)s mit dem Jobcenter wurde aus „%(title)s“ "
                      "abgeleitet.")),
           keys=("year", "title"), prepare=_source),
    Action("follow_on.reviewed", _("Übernommene Passagen geprüft"), _passages_reviewed,
           keys=("party", "user", "count", "open")),
    Action("review.recorded", lambda v: choice_label("Review", "kind", v["kind"]), _review_description,
           keys=("kind", "date", "count"), dates=("date",)),
    Action("proposal.made", lambda v: gettext("Vorschlag von %(party)s") % {"party": v["party_short"]},
           _("%(user)s hat für %(party)s vorgeschlagen: „%(text)s“"), keys=("party", "party_short", "user", "text")),
    Action("proposal.decided", lambda v: gettext("Vorschlag %(decision)s") % {
        "decision": _decision_label(v["decision"])}, _decision_description,
        keys=("user", "deciding", "text", "party", "decision", "previous", "reason", "letter")),
    Action("statement.recorded", _("Stellungnahme: %(title)s"), _statement_description,
           keys=("title", "party", "date", "user", "annex"), dates=("date",)),
    Action("deadline.set", _("Frist gesetzt: %(label)s"),
           _("%(user)s hat die Frist „%(label)s“ für %(owner)s gesetzt: fällig am %(due)s."),
           keys=DEADLINE_KEYS, dates=("due",), prepare=_deadline_label),
    Action("deadline.changed", _("Frist geändert: %(label)s"), _deadline_changed,
           keys=(*DEADLINE_KEYS, "previous"), dates=("due",), prepare=_deadline_label),
    Action("deadline.done", _("Frist erledigt: %(label)s"),
           _("%(user)s hat die am %(due)s fällige Frist „%(label)s“ von %(owner)s als erledigt markiert."),
           keys=DEADLINE_KEYS, dates=("due",), prepare=_deadline_label),
    # Met by the step itself (services.deadlines.meet_deadlines): a Fassung sent, the last signature.
    Action("deadline.met", _("Frist erledigt: %(label)s"), _deadline_met,
           keys=(*DEADLINE_KEYS, "by"), dates=("due",), prepare=_deadline_label),
    Action("deadline.dropped", _("Frist entfallen: %(label)s"),
           _("%(user)s hat die am %(due)s fällige Frist „%(label)s“ von %(owner)s gestrichen."),
           keys=DEADLINE_KEYS, dates=("due",), prepare=_deadline_label),
    Action("vorlage.created", _("Vorlage %(reference)s angelegt"),
           _("Der Entwurf der Vorlage %(reference)s „%(name)s“ wurde angelegt."), keys=("reference", "name")),
    Action("vorlage.released", _("Vorlage %(reference)s freigegeben"),
           _("Die Vorlage %(reference)s „%(name)s“ wurde freigegeben; das PDF ist mit dem SHA-256 %(sha)s "
             "gespeichert."), keys=("reference", "name", "sha")),
    Action("vorlage.consultation_started", _("Vorlage %(reference)s in Beratung"),
           _("Die Beratung der Vorlage %(reference)s „%(name)s“ in den Gremien hat begonnen."),
           keys=("reference", "name")),
    Action("vorlage.result_recorded", _("Vorlage %(reference)s: %(committee)s – %(result)s"), _result_description,
           keys=("reference", "committee", "result", "date"), dates=("date",),
           prepare=lambda d: {"result": choice_label("Consultation", "result", d["result"])}),
    # A postponed consultation taken up again in a later meeting of the same committee (services.vorlagen).
    Action("vorlage.follow_up_added", _("Vorlage %(reference)s: %(committee)s – erneute Beratung"),
           _follow_up_description, keys=("reference", "committee", "postponed", "date"),
           dates=("postponed", "date")),
    Action("vorlage.completed", _("Vorlage %(reference)s erledigt"),
           _("Die Beratung der Vorlage %(reference)s „%(name)s“ ist abgeschlossen."), keys=("reference", "name")),
    Action("vorlage.withdrawn", _("Vorlage %(reference)s zurückgezogen"),
           _("Die Vorlage %(reference)s „%(name)s“ wurde zurückgezogen. Begründung: %(reason)s"),
           keys=("reference", "name", "reason")),
]

ACTIONS = {action.code: action for action in _ACTIONS}


def check(action, data):
    """Refuse an unknown code or missing data when an entry is written, not when somebody reads it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown timeline action {action!r}")
    missing = [key for key in ACTIONS[action].keys if key not in data]
    if missing:
        raise ValueError(f"timeline action {action!r} lacks {', '.join(missing)}")


def render(action, data, language=None):
    """(title, description) of a recorded entry, in `language` or the active one; None for an unknown action."""
    entry = ACTIONS.get(action)
    if entry is None:
        return None
    if language is None:
        return entry.render(data or {})
    with translation.override(language):
        return entry.render(data or {})


# The data that is record content as written (titles, texts, reasons, notes, subjects, a signatory's function):
# German whatever language the sentence around it is phrased in. Names of parties and people are proper names.
QUOTED_KEYS = frozenset({"title", "source", "text", "reason", "note", "subject", "name", "letter", "function"})
# Stand for a quoted value while the sentence is phrased and escaped: private-use characters, never in a sentence.
_MARK = re.compile("\ue000(\\d+)\ue001")


def render_html(action, data, language=None):
    """(title, description) as HTML for the pages: the sentence escaped and, when it is phrased in another language
    than the record's, each quoted value of the data in <span lang="de"> (WCAG 3.1.2 Language of Parts; see
    agreements/text/parts.py); None for an unknown action."""
    from .parts import record_lang_code

    with translation.override(language) if language else contextlib.nullcontext():
        code = record_lang_code()
        if code is None:
            texts = render(action, data)
            return None if texts is None else tuple(conditional_escape(text) for text in texts)
        quoted = []

        def mark(value):
            quoted.append(value)
            return f"\ue000{len(quoted) - 1}\ue001"

        texts = render(action, _masked(data or {}, mark))
    if texts is None:
        return None

    def unmask(match):
        return format_html('<span lang="{}">{}</span>', code, quoted[int(match.group(1))])

    return tuple(mark_safe(_MARK.sub(unmask, conditional_escape(text))) for text in texts)


def _masked(data, mark):
    """The data with each quoted value (QUOTED_KEYS, and the passage of an adopted change) replaced by mark(value)."""
    masked = dict(data)
    for key in QUOTED_KEYS & masked.keys():
        if isinstance(masked[key], str) and masked[key]:
            masked[key] = mark(masked[key])
    applied = masked.get("applied")
    if isinstance(applied, str) and applied:
        masked["applied"] = mark(applied)
    elif isinstance(applied, dict):
        masked["applied"] = {key: mark(value) if key in ("section", "goal") and isinstance(value, str) and value
                             else value for key, value in applied.items()}
    return masked
