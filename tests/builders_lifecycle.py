"""Steps of the agreement's lifecycle on conftest's `world`, shared by the lifecycle, double-submit,
render-outside-the-lock and electronic signing tests."""

from django.utils import timezone

from agreements.services import lifecycle, versions


def sign_data(name="Thomas Hendele", function="Landrat", place="Mettmann"):
    """The signing form's data (services.lifecycle.sign), dated today: the text is agreed today in these tests,
    and nobody signs before the text is agreed."""
    return {"signatory_name": name, "signatory_function": function, "date": timezone.localdate(),
            "place": place}


def send_and_accept(world, agreement=None):
    """The negotiation's last turn: the county, "am Zug" in the world, sends its working text as a Fassung, which
    passes the pen to the ministry; the ministry accepts exactly that Fassung, and the text is agreed. Returns the
    ministry's Acceptance."""
    agreement = agreement or world.agreement
    versions.send_draft(user=world.users.editor, agreement=agreement)
    return lifecycle.agree(user=world.users.ministry, agreement=agreement)


def agree(world):
    """The text of the world's agreement is agreed (send_and_accept); the world's agreement is re-read."""
    send_and_accept(world)
    world.agreement.refresh_from_db()


def review_data(world, **extra):
    """A review's POST data (view review_add) that rates the world's goal."""
    data = {"kind": "unterjaehrig", "date": "2013-06-30", "participants": "Kreis, MAIS", "minutes": "",
            f"goal-{world.goal.pk}-status": "im_plan", f"goal-{world.goal.pk}-comment": "läuft"}
    data.update(extra)
    return data


def sign_data_of_land():
    """The ministry's signing form data (services.lifecycle.sign)."""
    return sign_data("Anna Land", "Referatsleiterin", "Düsseldorf")


def electronic(world, tmp_path):
    """The world's agreement agreed and signed electronically from here on: the demo's keys for both parties, the
    demo TSA and its root as trust anchor (agreements.data.demo.signing, made at test time under tmp_path)."""
    from agreements.data.demo import signing as demo_signing

    demo_signing.install(tmp_path / "pki", [world.ministry, world.county])
    agree(world)
    return world


def sign_ministry(world):
    """The ministry, first in the world's order of parties, signs."""
    return lifecycle.sign(user=world.users.ministry, agreement=world.agreement, data=sign_data_of_land())


def sign_county(world):
    """The county signs (after the ministry, electronically); the world's agreement is re-read."""
    signature = lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())
    world.agreement.refresh_from_db()
    return signature


def sign_both(world):
    """Both parties sign in order; their two Signatures."""
    return sign_ministry(world), sign_county(world)
