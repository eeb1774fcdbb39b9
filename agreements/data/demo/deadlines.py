"""The deadlines of the 2012 agreement that its § 4 names: the Kreis Mettmann reports to the MAIS NRW "zum Ende des
ersten Halbjahres und nach Ablauf des Jahres". The half-year report was given; the year-end report is left open
(its day is the demo's, the agreement names none), so the demo shows an overdue deadline on the start page, in the
navigation and in the calendar feed."""

from agreements.data.demo.loader import day, moment
from agreements.models import Deadline


def load(loader, agreement, mettmann):
    loader.ensure(Deadline, {"agreement": agreement, "kind": Deadline.Kind.HALF_YEAR_REPORT}, {
        "due": day(2012, 6, 30), "owner": mettmann, "note": "§ 4 der Zielvereinbarung 2012",
        "state": Deadline.State.DONE, "closed_at": moment(2012, 7, 9),
    })
    loader.ensure(Deadline, {"agreement": agreement, "kind": Deadline.Kind.YEAR_END_REPORT}, {
        "due": day(2013, 1, 31), "owner": mettmann, "note": "§ 4 der Zielvereinbarung 2012",
    })
