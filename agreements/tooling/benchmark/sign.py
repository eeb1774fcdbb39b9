"""Parallel clicks on "Unterzeichnen": an agreed agreement, every click's form opened and sent first, which answers
with the confirmation step (views.base.ask_first); all confirmations sent at once. Afterwards the database must hold
one signature per party."""

import threading
import time

from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.tooling.benchmark.base import BenchmarkError, progress
from agreements.tooling.benchmark.servers import http_request, login_cookie
from agreements.tooling.benchmark.writes import RequestLog, editor_user, fill_form
from agreements.views.base import CONFIRM_FIELD, CONFIRM_VALUE

DEFAULT_SIGN_CLICKS = 20


SIGNER_PREFIX = "benchmark-signer"


def prepare_signing(cast, *, password, year, number):
    """An agreed agreement (county editor and ministry editor each about to sign) for one race of clicks.

    The county is one the writers do not use (`number` counts the races), so each race starts from "abgestimmt".
    Returns (agreement pk, county editor's username).
    """
    from agreements.services import agreements as agreement_svc
    from agreements.services import goals as goal_svc
    from agreements.services import lifecycle, versions

    # Counted from the other end of the list than the writers' counties.
    county = m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS).order_by("-key")[number]
    ministry = m.Party.objects.get(key="mais-nrw")
    user = editor_user(f"{SIGNER_PREFIX}-{number:02d}", password, county, first_name="Lasttest", last_name="Landrat")
    agreement = agreement_svc.create_agreement(user=user, data={
        "title": f"Zielvereinbarung {year} MAIS NRW – {county.name} (Unterzeichnung im Lasttest)", "year": year,
        "land": ministry, "kommunaler_traeger": county,
    })
    goal_svc.save_goal(user=user, agreement=agreement, data={
        "kind": m.Goal.Kind.QUALITATIVE, "level": m.Goal.Level.LOCAL, "area": m.Goal.Area.KDU,
        "title": "Senkung der Leistungen für Unterkunft und Heizung", "direction": m.Goal.Direction.SENKUNG,
    })
    # The county sends its text, which passes the pen; the ministry accepts exactly that Fassung.
    versions.send_draft(user=user, agreement=agreement)
    ministry_editor = editor_user(f"{SIGNER_PREFIX}-{number:02d}-mais", password, ministry, first_name="Lasttest",
                         last_name="Ministerium")
    lifecycle.agree(user=ministry_editor, agreement=agreement)
    agreement.refresh_from_db()
    if agreement.status != m.Agreement.Status.AGREED:
        raise BenchmarkError(f"The agreement {agreement.pk} for the signing race is not agreed.")
    return agreement.pk, user.username


def sign_race(port, agreement_pk, cookies, *, timeout=60):
    """len(cookies) clicks on "Unterzeichnen" at the same moment: each click's form is opened and sent first, which
    asks for the confirmation; then all confirmations are sent together. Returns the answers and what the database
    holds afterwards; `posts` counts the confirmations sent (the asking POSTs are logged as "ask")."""
    path = reverse("agreement_sign", args=[agreement_pk])
    today = timezone.localdate().isoformat()
    log = RequestLog()
    start = threading.Barrier(len(cookies))

    def click(number, cookie):
        prepared = None
        try:
            status, page, _location, seconds = http_request(port, "GET", path, cookie=cookie, timeout=timeout)
            log.add("sign", "GET", status, seconds)
            if status == 200:
                action, body = fill_form(page, path, {
                    "signatory_name": f"Unterzeichner {number}", "signatory_function": "Landrat", "date": today,
                    "place": "Düsseldorf"})
                # The form's POST asks first: the confirmation page carries the values; its form is the click.
                status, page, _location, seconds = http_request(port, "POST", action, cookie=cookie, body=body,
                                                                 timeout=timeout)
                log.add("ask", "POST", status, seconds)
                if status == 200:
                    prepared = fill_form(page, action, {CONFIRM_FIELD: CONFIRM_VALUE})
        except OSError:
            log.add("sign", "GET", None, 0.0)
        except BenchmarkError:
            pass  # no signing form: the click sends nothing (posts < clicks in the figures)
        try:
            start.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass
        if prepared is None:
            return
        action, body = prepared
        try:
            status, _page, _location, seconds = http_request(port, "POST", action, cookie=cookie, body=body,
                                                             timeout=timeout)
            log.add("sign", "POST", status, seconds)
        except OSError:
            log.add("sign", "POST", None, 0.0)

    began = time.monotonic()
    threads = [threading.Thread(target=click, args=(n, cookie), daemon=True) for n, cookie in enumerate(cookies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * timeout + 10)
    if any(thread.is_alive() for thread in threads):
        raise BenchmarkError("A click on Unterzeichnen did not finish in time.")
    figures = log.figures(time.monotonic() - began)
    agreement = m.Agreement.objects.get(pk=agreement_pk)
    figures.update({
        "clicks": len(cookies),
        "posts": sum(1 for row in log.rows if row[:2] == ("sign", "POST")),
        "signatures": agreement.signatures.count(),
        "parties": agreement.agreement_parties.count(),
        "status": str(agreement.get_status_display()),
        "signed_pdf": agreement.signed_file_id is not None,
    })
    return figures


def run_signing(port, cast, *, clicks, number, year):
    """`clicks` parallel clicks on "Unterzeichnen" on a freshly agreed agreement, half by the county's editor,
    half by the ministry's editor."""
    agreement_pk, county_editor = prepare_signing(cast, password=cast.password, year=year, number=number)
    county = login_cookie(port, county_editor, cast.password)
    ministry = login_cookie(port, cast.editor.username, cast.password)
    progress(f"signing: {clicks} parallel clicks on Unterzeichnen (agreement {agreement_pk})")
    figures = sign_race(port, agreement_pk, [county if n % 2 == 0 else ministry for n in range(clicks)])
    figures["agreement"] = agreement_pk
    return figures
