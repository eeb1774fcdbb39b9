"""The write mix: county editors opening forms and saving them (a goal, a proposal, a section) against a running
server, with the figures of every request."""

import itertools
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from django.contrib.auth import get_user_model
from django.urls import reverse

from agreements import models as m
from agreements.tooling.benchmark.base import BenchmarkError, percentile
from agreements.tooling.benchmark.servers import http_request

DEFAULT_WRITERS = 10


# A writer saves at most this often in one run, whatever the duration: the loop is bounded in count and time.
MAX_WRITER_ROUNDS = 5000
# Numbers the texts of every save of the process: a goal or proposal written again with the same words from the
# form opened anew is asked about, not saved (views.base.once), and the runs at each scale and under make run's server
# use the same writers.
_SERIAL = itertools.count(1)


WRITER_PREFIX = "benchmark-writer"


@dataclass
class Writer:
    """One editor of a county and the draft agreement of that county the editor works on."""

    username: str
    agreement_pk: int
    section_pk: int


def editor_user(username, password, party, **names):
    """A user with an editor membership of `party` and this password (created or reset)."""
    users = get_user_model().objects
    user = users.filter(username=username).first() or users.create_user(username, password=password, **names)
    user.set_password(password)
    user.save(update_fields=["password"])
    m.Membership.objects.update_or_create(user=user, party=party, defaults={"role": m.Membership.Role.EDITOR})
    return user


def _counties(count):
    counties = list(m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS).order_by("key")[:count])
    if len(counties) < count:
        raise BenchmarkError(f"The write mix needs {count} counties; the database has {len(counties)}.")
    return counties


def prepare_writers(count, *, password, year):
    """`count` editors, each of another county, each with a draft agreement of `year` (a year the scales do not
    generate) holding one section: what a county's member of staff works on while negotiating. Created through
    the services, as the app creates them."""
    from agreements.services import agreements as agreement_svc

    ministry = m.Party.objects.get(key="mais-nrw")
    writers = []
    for number, county in enumerate(_counties(count), 1):
        user = editor_user(f"{WRITER_PREFIX}-{number:02d}", password, county, first_name="Lasttest",
                           last_name=f"Bearbeitung {number}")
        agreement = m.Agreement.objects.filter(created_by=user, year=year).first()
        if agreement is None:
            agreement = agreement_svc.create_agreement(user=user, data={
                "title": f"Zielvereinbarung {year} MAIS NRW – {county.name} (Lasttest)", "year": year,
                "land": ministry, "kommunaler_traeger": county,
            })
        section = agreement.sections.order_by("order").first() or agreement_svc.save_section(
            user=user, agreement=agreement, data={"heading": "§ 1 Gegenstand", "text": "Gegenstand der Vereinbarung."})
        writers.append(Writer(username=user.username, agreement_pk=agreement.pk, section_pk=section.pk))
    return writers


def writer_actions(writer, round_number):
    """(label, form path, values to fill in) of the writer's `round_number`-th save, in turn: a new goal, a
    proposal, the section's text saved again (with the lock_version its form carries). Each text is new (_SERIAL)."""
    pk = writer.agreement_pk
    serial = next(_SERIAL)
    actions = (
        ("goal", reverse("goal_add", args=[pk]), {
            "kind": m.Goal.Kind.QUALITATIVE, "level": m.Goal.Level.LOCAL, "title": f"Lasttest-Ziel {serial}",
            "direction": m.Goal.Direction.OPTIMIERUNG, "text": "Ein Ziel aus dem Lasttest.",
        }),
        ("proposal", reverse("proposal_add", args=[pk]), {
            "text": f"Vorschlag {serial} aus dem Lasttest: § 1 um einen Satz ergänzen.",
        }),
        ("section", reverse("section_edit", args=[pk, writer.section_pk]), {
            "text": f"Gegenstand der Vereinbarung, Fassung {serial} aus dem Lasttest.",
        }),
    )
    return actions[round_number % len(actions)]


class FormParser(HTMLParser):
    """The forms of a page with the values a browser would submit unchanged (hidden fields, the selected
    option, checked boxes, textarea contents)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action") or "",
                          "fields": {}, "selected": set()}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields, name = self._form["fields"], attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                fields.setdefault(name, [])
                return
            value = attrs.get("value")
            fields.setdefault(name, []).append("on" if value is None and kind == "checkbox" else value or "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = [""]
        elif tag == "select" and name:
            self._select = name
            fields[name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            select = self._select
            if "selected" in attrs and select not in self._form["selected"]:
                self._form["selected"].add(select)
                fields[select] = [value]
            elif not fields[select]:
                fields[select] = [value]  # the first option, as a browser submits it when none is selected

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def fill_form(page, path, values):
    """(action path, urlencoded body) of the page's POST form that has every field in `values`, filled in."""
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        if form["method"] == "post" and set(values) <= set(form["fields"]):
            fields = {**form["fields"], **{name: [str(value)] for name, value in values.items()}}
            body = urlencode([(name, value) for name, items in fields.items() for value in items])
            return form["action"] or path, body
    raise BenchmarkError(f"{path} has no POST form with the fields {sorted(values)}.")


class RequestLog:
    """Every request of a client: (label, method, status or None for a socket error, seconds). Thread-safe."""

    def __init__(self):
        self.rows = []
        self.lock = threading.Lock()

    def add(self, label, method, status, seconds):
        with self.lock:
            self.rows.append((label, method, status, seconds))

    def figures(self, seconds):
        rows = list(self.rows)
        statuses = [status for _l, _m, status, _s in rows]
        codes = {}
        for status in statuses:
            key = "socket" if status is None else str(status)
            codes[key] = codes.get(key, 0) + 1
        latencies = [s * 1000 for _l, _m, status, s in rows if status is not None]
        posts = [s * 1000 for _l, method, status, s in rows if method == "POST" and status is not None]
        figures = {
            "requests": len(rows),
            "seconds": seconds,
            "throughput_rps": len(rows) / seconds if seconds else 0.0,
            "socket_errors": statuses.count(None),
            # An error is any answer but 2xx/3xx (or none at all); 5xx are counted on their own as well.
            "http_errors": sum(1 for status in statuses if status is not None and status >= 400),
            "server_errors": sum(1 for status in statuses if status is not None and status >= 500),
            "status_codes": ",".join(f"{code}:{count}" for code, count in sorted(codes.items())) or "-",
        }
        figures["errors"] = figures["socket_errors"] + figures["http_errors"]
        for prefix, values in (("", latencies), ("post_", posts)):
            if values:
                figures.update({f"{prefix}p50_ms": percentile(values, 0.5), f"{prefix}p95_ms": percentile(values, 0.95),
                                f"{prefix}max_ms": max(values)})
        return figures


def _writer_loop(port, writer, cookie, *, deadline, max_rounds, log, outcome, start):
    """Closed loop without think time: open the form, save it, follow the redirect as a browser does."""
    try:
        start.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass
    done = 0
    while done < max_rounds and time.monotonic() < deadline:
        done += 1
        label, path, values = writer_actions(writer, done)
        try:
            status, page, _location, seconds = http_request(port, "GET", path, cookie=cookie)
            log.add(label, "GET", status, seconds)
            if status != 200:
                continue
            action, body = fill_form(page, path, values)
            status, page, location, seconds = http_request(port, "POST", action, cookie=cookie, body=body)
            log.add(label, "POST", status, seconds)
            if status in (301, 302, 303):
                outcome.add(label, "saved")
                target = urlsplit(location or path)
                if target.path:
                    status, _page, _location, seconds = http_request(port, "GET", target.path, cookie=cookie)
                    log.add(label, "GET", status, seconds)
            elif status == 200:
                # The form came back: a message in the form instead of a save (a conflict, a refusal).
                outcome.add(label, "refused")
        except OSError:
            log.add(label, "GET", None, 0.0)
            time.sleep(0.1)
        except BenchmarkError:
            outcome.add(label, "no_form")


class _Outcome:
    def __init__(self):
        self.counts = {}
        self.lock = threading.Lock()

    def add(self, label, result):
        with self.lock:
            self.counts.setdefault(label, {}).setdefault(result, 0)
            self.counts[label][result] += 1

    def total(self, result):
        return sum(by_result.get(result, 0) for by_result in self.counts.values())


def run_writers(port, writers, cookies, *, seconds, max_rounds=MAX_WRITER_ROUNDS):
    """`len(writers)` editors saving forms at once for `seconds` (and at most `max_rounds` saves each)."""
    log, outcome = RequestLog(), _Outcome()
    start = threading.Barrier(len(writers))
    began = time.monotonic()
    deadline = began + seconds
    threads = [
        threading.Thread(target=_writer_loop, args=(port, writer, cookie), daemon=True,
                         kwargs={"deadline": deadline, "max_rounds": max_rounds, "log": log, "outcome": outcome,
                                 "start": start})
        for writer, cookie in zip(writers, cookies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 60))
    if any(thread.is_alive() for thread in threads):
        raise BenchmarkError("A writer did not finish within a minute after the end of the run.")
    figures = log.figures(time.monotonic() - began)
    figures.update({
        "writers": len(writers), "duration_requested_s": seconds,
        "posts": sum(1 for row in log.rows if row[1] == "POST"),
        "writes_saved": outcome.total("saved"), "writes_refused": outcome.total("refused"),
        "writes_without_form": outcome.total("no_form"), "by_action": outcome.counts,
    })
    return figures


def writers_in_background(port, writers, cookies, *, seconds):
    """Start run_writers in a thread; returns (thread, result dict filled when it ends)."""
    result = {}

    def target():
        try:
            result.update(run_writers(port, writers, cookies, seconds=seconds))
        except Exception as error:  # noqa: BLE001 - re-raised by the caller as a BenchmarkError
            result["failed"] = repr(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, result


def join_writers(thread, result, *, seconds):
    thread.join(timeout=seconds + 120)
    if thread.is_alive():
        raise BenchmarkError("The writers did not finish within two minutes after the end of the run.")
    if "failed" in result:
        raise BenchmarkError(f"The writers failed: {result['failed']}")
    return result
