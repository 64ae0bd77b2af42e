"""How-to (5): choosing the two lifetimes."""

# [settings]
from datetime import timedelta

# 1. The session: how long a signed-in browser may stay idle.
#    Durations are a timedelta, or an int of SECONDS (never minutes or days).
REMEMBERME_SESSION_AGE = timedelta(minutes=30)  # 1800 seconds
REMEMBERME_UNREMEMBERED_SESSION_AGE = 0  # 0 = until the browser closes

# 2. The remember-me token: how long a browser stays remembered.
REMEMBERME_TOKEN_AGE = timedelta(days=14)  # idle: 1,209,600 seconds
REMEMBERME_TOKEN_MAX_AGE = timedelta(days=30)  # after the password login, whatever the use

# Django's SESSION_COOKIE_AGE (seconds, default 1,209,600 = two weeks) now
# only governs sessions that rememberme does not set: anonymous ones.
# [/settings]

# [policy]
from rememberme.policy import RememberMePolicy  # noqa: E402 (shown on its own)


class ProjectPolicy(RememberMePolicy):
    """Staff are never remembered; contractors for one day only."""

    def can_remember(self, user, request):
        return not user.is_staff

    def token_age(self, user):
        if user.groups.filter(name="contractors").exists():
            return timedelta(days=1)
        return super().token_age(user)

    def token_max_age(self, user):
        if user.groups.filter(name="contractors").exists():
            return timedelta(days=1)
        return super().token_max_age(user)

    def unremembered_session_age(self, user):
        # Staff sessions: 15 minutes idle, even with the browser open.
        return timedelta(minutes=15) if user.is_staff else super().unremembered_session_age(user)


# settings.py: REMEMBERME_POLICY = "myproject.policies.ProjectPolicy"
# [/policy]
