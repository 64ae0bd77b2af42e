# views.py: django-two-factor-auth's login wizard, with "Remember me".
from two_factor.forms import AuthenticationTokenForm, BackupTokenForm
from two_factor.views import LoginView as TwoFactorLoginView

import rememberme
from rememberme.forms import RememberMeAuthenticationForm


class LoginView(TwoFactorLoginView):
    # The first step gets the "Remember me" box.
    form_list = (
        ("auth", RememberMeAuthenticationForm),
        ("token", AuthenticationTokenForm),
        ("backup", BackupTokenForm),
    )

    def process_step(self, form):
        data = super().process_step(form)
        if self.steps.current == self.AUTH_STEP:
            # The wizard keeps nothing of the password step but the user:
            # keep the box's answer too, for done().
            ticked = form.is_valid() and form.cleaned_data["remember_me"]
            self.storage.extra_data["remember_me"] = bool(ticked)
        return data

    def done(self, form_list, **kwargs):
        # two-factor-auth signs the user in once every step passed...
        response = super().done(form_list, **kwargs)
        # ...then the box decides: a token, or a session that ends at
        # browser close (REMEMBERME_UNREMEMBERED_SESSION_AGE).
        ticked = self.storage.extra_data.get("remember_me", False)
        rememberme.login(self.request, self.get_user(), remember=ticked)
        return response
