"""The content writes of the services on conftest's `world`, each a function of the world: what a frozen or
signed agreement must refuse. Shared by the immutability tests (signed agreements, every path) and the locking
tests (a write on an instance read before the text was agreed)."""

import datetime

from agreements.services import agreements as agreement_svc
from agreements.services import goals as goal_svc
from agreements.services import negotiation

GOAL = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Neues Ziel", "direction": "senkung"}


def agreement_data(w):
    return {"title": "Geänderter Titel", "year": 2013, "land": w.ministry, "kommunaler_traeger": w.county,
            "legal_bases": [], "preamble": "neu"}


CONTENT_WRITES = {
    "update_agreement": lambda w: agreement_svc.update_agreement(
        user=w.users.editor, agreement=w.agreement, data=agreement_data(w), lock_version=w.agreement.lock_version),
    "save_section (new)": lambda w: agreement_svc.save_section(
        user=w.users.editor, agreement=w.agreement, data={"heading": "§ 9 Neu", "text": "neu"}),
    "save_section (edit)": lambda w: agreement_svc.save_section(
        user=w.users.editor, agreement=w.agreement, data={"heading": "§ 1 Neu", "text": "neu"}, section=w.section,
        lock_version=w.section.lock_version),
    "delete_section": lambda w: agreement_svc.delete_section(user=w.users.editor, section=w.section),
    "reorder (sections)": lambda w: agreement_svc.reorder(
        user=w.users.editor, agreement=w.agreement, queryset=w.agreement.sections.all(), obj=w.section,
        direction="down"),
    "save_goal (edit)": lambda w: goal_svc.save_goal(
        user=w.users.editor, agreement=w.agreement, data={**GOAL, "title": "Anders"}, goal=w.goal,
        lock_version=w.goal.lock_version),
    # Proposals and statements change (or may become part of) the text.
    "create_proposal": lambda w: negotiation.create_proposal(
        user=w.users.editor, agreement=w.agreement, data={"text": "Ziel 1 streichen", "goal": w.goal}),
    "create_statement": lambda w: negotiation.create_statement(
        user=w.users.editor, agreement=w.agreement, data={
            "party": w.liga, "date": datetime.date(2013, 5, 1), "title": "Nachgereicht", "text": "",
            "include_as_annex": True}),
    "update_statement": lambda w: negotiation.update_statement(
        user=w.users.editor, statement=w.statement, lock_version=w.statement.lock_version, data={
            "party": w.liga, "date": w.statement.date, "title": w.statement.title, "text": "anders",
            "include_as_annex": True}),
}
