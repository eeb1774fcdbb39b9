"""The demo's people: the six demo accounts, the persons named in the reference (Landrat, Staatssekretär, the
Bearbeiterin), the Kreis's Sozialamt and committees."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from agreements.models import Committee, CommitteeMembership, Department, Membership, Person

DEMO_PASSWORD = "demo"

DEMO_USERS = (
    # username, first name, last name, party key or None, membership role or None, committee name or None
    ("kreis-editor", "Ulrike", "Gansauer", "kreis-mettmann", "editor", None),
    ("kreis-reader", "Lena", "Lehmann", "kreis-mettmann", "reader", None),
    ("neuss-editor", "Jonas", "Neumann", "rhein-kreis-neuss", "editor", None),
    ("mais-editor", "Miriam", "Maier", "mais-nrw", "editor", None),
    ("ausschuss", "Klaus", "Schulte", None, None, "Sozialausschuss"),
    ("admin", "Demo", "Administrator", None, None, None),
)


def load_users(loader):
    User = get_user_model()
    users = {}
    for username, first_name, last_name, party_key, role, committee in DEMO_USERS:
        is_admin = username == "admin"
        values = {
            "first_name": first_name, "last_name": last_name, "email": f"{username}@demo.invalid",
            "is_active": True, "is_staff": is_admin, "is_superuser": is_admin,
        }
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            user = User(username=username, **values)
            # Only a new account gets the known password: a re-run must not undo a password change.
            user.set_password(DEMO_PASSWORD)
            user.save()
            loader.count(User, "created", user)
            password = DEMO_PASSWORD
        else:
            user = loader.ensure(User, {"username": username}, values)
            password = _("(unverändert)")
        users[username] = user

        if party_key:
            party = loader.party(party_key)
            membership = loader.ensure(Membership, {"user": user, "party": party}, {"role": role})
            role_text = f"{membership.get_role_display()} – {party.name}"
        elif committee:
            role_text = _("Mitglied im %(committee)s (Kreis Mettmann)") % {"committee": committee}
        else:
            role_text = _("Administration (Superuser)")
        loader.logins.append({"username": username, "role": role_text, "password": password})
    return users


def load_people(loader, mais, mettmann, neuss, gansauer_user):
    social = loader.ensure(Department, {"party": mettmann, "number": "50"}, {"name": "Sozialamt"})
    H = Person.FormOfAddress.HERR
    return {
        "hendele": loader.ensure(
            Person, {"party": mettmann, "family_name": "Hendele", "given_name": "Thomas"},
            {"form_of_address": H, "title": "", "function": "Landrat", "department": None},
        ),
        "schaeffer": loader.ensure(
            Person, {"party": mais, "family_name": "Schäffer", "given_name": "Wilhelm"},
            {"form_of_address": H, "title": "Dr.", "function": "Staatssekretär", "department": None},
        ),
        "gansauer": loader.ensure(
            Person, {"party": mettmann, "family_name": "Gansauer", "given_name": "Ulrike"},
            {
                "form_of_address": Person.FormOfAddress.FRAU, "title": "", "function": "Bearbeiterin",
                "department": social, "user": gansauer_user,
            },
        ),
        # Landrat of the Rhein-Kreis Neuss in 2012; not named in the reference.
        "petrauschke": loader.ensure(
            Person, {"party": neuss, "family_name": "Petrauschke", "given_name": "Hans-Jürgen"},
            {"form_of_address": H, "title": "", "function": "Landrat des Rhein-Kreises Neuss"},
        ),
        "department": social,
    }


def load_committees(loader, mettmann, member):
    Kind = Committee.Kind
    committees = {
        name: loader.ensure(
            Committee, {"party": mettmann, "name": name}, {"short_name": short, "kind": kind},
        )
        for name, short, kind in [
            ("Sozialausschuss", "SozA", Kind.AUSSCHUSS),
            ("Kreisausschuss", "KA", Kind.KREISAUSSCHUSS),
            ("Kreistag", "KT", Kind.KREISTAG),
        ]
    }
    loader.ensure(
        CommitteeMembership, {"committee": committees["Sozialausschuss"], "user": member},
        {"role": CommitteeMembership.Role.MEMBER},
    )
    return committees
