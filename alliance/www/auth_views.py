"""Log in and log out. Every attempt is audited; no e-mail address goes to the logs."""

from django.contrib import auth
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from alliance.audit.services import audit_record


class AllianceLoginView(LoginView):
    template_name = "www/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        with transaction.atomic():
            audit_record(
                action="login",
                actor=self.request.user,
                object_type="people.user",
                object_public_id=str(self.request.user.public_id),
            )
        return response

    def form_invalid(self, form):
        with transaction.atomic():
            audit_record(action="login_failed", object_type="people.user")
        return super().form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        with transaction.atomic():
            audit_record(
                action="logout",
                actor=request.user,
                object_type="people.user",
                object_public_id=str(request.user.public_id),
            )
    auth.logout(request)
    return redirect("login")
