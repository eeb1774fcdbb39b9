"""Read-only OParl 1.1 API (https://oparl.org/spezifikation/) under /oparl/v1/, no login.

What is published, decided in views.py (the "what is public" section) and nowhere else:

- Body: a Kreis or kreisfreie Stadt that has at least one released public Vorlage. The councils' owners are the
  bodies; a county without any published paper would only be an empty shell.
- Paper: released public Vorlagen (freigegeben, in Beratung, erledigt) of a body. A withdrawn one keeps its URL and
  answers as a deleted object; drafts and nichtöffentliche Vorlagen do not exist here (404).
- Consultation, File (main file and Anlagen): those of the published papers; of a withdrawn paper they answer as
  deleted objects and the file contents with 410.
- Organization and Meeting: the committees of a body and their meetings. AgendaItem: public items of those
  meetings that consult a published paper or no paper at all.
- Person: only the Bearbeiter/innen of published papers, with name and function. User accounts, committee
  memberships and e-mail addresses are never exposed.
"""
