from django.urls import path

from . import views

urlpatterns = [
    path("konto/benachrichtigungen/", views.notification_settings, name="notification_settings"),
    path("abbestellen/<str:token>/", views.notification_unsubscribe, name="notification_unsubscribe"),
]
