from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("oparl/v1/", include("agreements.oparl.views")),
    path("", include("agreements.urls")),
]
