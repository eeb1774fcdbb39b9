"""E-mail notifications: what happened on the timelines (agreements.services.base.step_recorded) and what is due,
told to the users it concerns and who may open it, at once or in a daily digest, sent by background tasks."""
