"""Your own profile: the name shown to others and the language of the mail you get."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from helpline.accounts.services import user_update_profile
from helpline.core.errors import DomainError
from helpline.web.forms import ProfileForm, add_domain_error
from helpline.web.views.common import request_user


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = ProfileForm(request.POST or None, initial={"name": user.name, "language": user.language})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user_update_profile(actor=user, user=user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("profile")
        else:
            status = 400
    return render(request, "web/account/profile.html", {"form": form}, status=status)
