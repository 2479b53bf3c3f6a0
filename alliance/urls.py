"""Root URL configuration: every page lives in the web layer (``alliance.www``)."""

from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("alliance.www.urls")),
]
