from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    agreements,
    audit,
    core,
    deadlines,
    documents,
    follow_on,
    goals,
    lifecycle,
    negotiation,
    overview,
    search,
    signatures,
    versions,
    vorlagen,
)

urlpatterns = [
    path("", core.dashboard, name="dashboard"),
    path("anmelden/", auth_views.LoginView.as_view(), name="login"),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("passwort/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("passwort/geaendert/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
# Each area's view module owns its URL patterns.
for module in (agreements, goals, versions, negotiation, documents, lifecycle, signatures, follow_on, vorlagen,
               overview, audit, search, deadlines):
    urlpatterns += module.urlpatterns
