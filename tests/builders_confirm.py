"""The confirmation step of irreversible actions (views.base.ask_first), for the tests that perform those actions:
sending a Fassung, accepting it, signing, refusing to sign, releasing a Vorlage, deleting a section, goal or offer.
A POST without the confirmation only asks; the tests that mean to act send it with `confirmed(data)`."""

from agreements.views.base import CONFIRM_FIELD, CONFIRM_VALUE

CONFIRMED = {CONFIRM_FIELD: CONFIRM_VALUE}


def confirmed(data=None):
    """The POST data of the confirming click: the action's data plus the confirmation."""
    return {**(data or {}), **CONFIRMED}


def is_confirmation(response):
    """Whether the response is the confirmation page (and so nothing was done)."""
    return response.status_code == 200 and "confirm.html" in [t.name for t in response.templates]
