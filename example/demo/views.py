from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

import rememberme
from rememberme.decorators import fresh_login_required


def home(request: HttpRequest) -> HttpResponse:
    """The guided tour; the session's state comes from demo.context."""
    return render(request, "demo/home.html", {"theme": request.session.get("theme", "light")})


@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    request.session["theme"] = "dark" if request.POST.get("theme") == "dark" else "light"
    return redirect("home")


@fresh_login_required(max_age=600)
def change_email(request: HttpRequest) -> HttpResponse:
    """
    A sensitive page: it needs a password typed in this session in the last
    ten minutes. A session restored from a token is sent to re-authenticate.
    """
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        if email:
            request.user.email = email
            request.user.save(update_fields=["email"])
        return redirect("change-email")
    return render(
        request,
        "demo/change_email.html",
        {"restored": rememberme.was_restored(request)},
    )
