from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from notifications import views as notification_views


def favicon(request):
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, downloads); the icon is a static file.
    # Not permanent: the static URL may change with the storage (hashed names), a cached 301 would not.
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    # Django's language switch (django.conf.urls.i18n), which also keeps a logged-in user's choice for the mails.
    path("i18n/setlang/", notification_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("oparl/v1/", include("agreements.oparl.views")),
    path("", include("notifications.urls")),
    path("", include("agreements.urls")),
]
