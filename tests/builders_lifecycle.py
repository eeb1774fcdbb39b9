"""Steps of the agreement's lifecycle on conftest's `world`, shared by the lifecycle, double-submit and
render-outside-the-lock tests."""

import datetime

from agreements.services import lifecycle


def sign_data(name="Thomas Hendele", function="Landrat", place="Mettmann"):
    """The signing form's data (services.lifecycle.sign)."""
    return {"signatory_name": name, "signatory_function": function, "date": datetime.date(2013, 4, 2),
            "place": place}


def agree(world):
    """The county's editor presses "Text abstimmen"; the world's agreement is re-read."""
    lifecycle.agree(user=world.users.editor, agreement=world.agreement)
    world.agreement.refresh_from_db()


def review_data(world, **extra):
    """A review's POST data (view review_add) that rates the world's goal."""
    data = {"kind": "unterjaehrig", "date": "2013-06-30", "participants": "Kreis, MAIS", "minutes": "",
            f"goal-{world.goal.pk}-status": "im_plan", f"goal-{world.goal.pk}-comment": "läuft"}
    data.update(extra)
    return data
