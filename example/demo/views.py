from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

import rememberme
from rememberme.decorators import fresh_login_required
from rememberme.state import find_state


def home(request: HttpRequest) -> HttpResponse:
    state = find_state(request)
    return render(
        request,
        "demo/home.html",
        {
            "restored": bool(state and state.restored),
            "remembered": "_rememberme_token" in request.session,
            "session_expiry": request.session.get_expiry_date()
            if request.user.is_authenticated
            else None,
            "at_browser_close": request.session.get_expire_at_browser_close(),
            "theme": request.session.get("theme", "light"),
        },
    )


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
