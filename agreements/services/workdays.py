"""Working days in NRW: Monday to Friday, except the public holidays of Nordrhein-Westfalen.

The holidays come from the `holidays` package (holidays.country_holidays("DE", subdiv="NW")), never from a list in
the code: Fronleichnam and Allerheiligen are holidays in NRW, the Reformationstag and Buß- und Bettag are not, and
the package knows the one-off ones (Reformationstag 2017 everywhere). Pure: no database.
"""

import datetime
from functools import lru_cache

import holidays

COUNTRY, SUBDIVISION = "DE", "NW"
# Reminders reach at most this far; a step count beyond it is a mistake, not a date to compute.
MAX_STEPS = 3660


@lru_cache(maxsize=64)
def _holidays(year):
    return holidays.country_holidays(COUNTRY, subdiv=SUBDIVISION, years=year, language="de")


def holiday_name(day):
    """The name of the NRW public holiday on `day` ("Fronleichnam"), or None."""
    return _holidays(day.year).get(day)


def is_working_day(day):
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(day, count):
    """The working day `count` working days after `day` (before it for a negative count); for 0 the day itself if
    it is a working day, else the next working day. `day` need not be a working day: 3 working days after a
    Saturday is the Wednesday (Monday is the first)."""
    if abs(count) > MAX_STEPS:
        raise ValueError(f"{count} working days is out of range")
    step = 1 if count >= 0 else -1
    if count == 0:
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
        return day
    remaining = abs(count)
    while remaining:
        day += datetime.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_before(day, count):
    """The working day that lies `count` working days before `day` (the reminder for a deadline due on `day`)."""
    return add_working_days(day, -count)


def last_working_day(day):
    """`day` if it is a working day, else the working day before it."""
    while not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return day


def latest_start(last, count):
    """The latest day d with add_working_days(d, count) <= last: whatever starts on d or before is due by `last`.

    With latest_day_before() the inverse that lets the database answer "due by `last`" for many rows at once
    (add_working_days is monotonic in its day), instead of computing each row's due date. `count` >= 1.
    """
    start = add_working_days(last_working_day(last), -count)
    # The days after that working day up to the next one (a weekend, a holiday) are due on the same day.
    return add_working_days(start, 1) - datetime.timedelta(days=1)


def latest_day_before(last, count):
    """The latest day m with working_days_before(m, count) <= last: a meeting on m or before has its invitation
    deadline by `last`. `count` >= 1."""
    return add_working_days(last_working_day(last), count)
