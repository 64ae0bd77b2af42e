"""How-to (3): signed-cookie sessions and replay."""

# [settings]
from datetime import timedelta

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

# A copied session cookie stops working 15 minutes after its last use:
# rememberme enforces each session's own expiry on signed cookies, which
# Django itself does not (it only checks SESSION_COOKIE_AGE).
REMEMBERME_SESSION_AGE = timedelta(minutes=15)
REMEMBERME_UNREMEMBERED_SESSION_AGE = timedelta(minutes=15)

# A session that came from a token asks the database every 5 minutes
# whether its token still stands: logging out, "sign out everywhere", the
# admin or a detected theft end every copy of it within 5 minutes.
REMEMBERME_REVALIDATE_INTERVAL = timedelta(minutes=5)

# The token itself: 14 days idle, 30 days at most, rotated at every use.
REMEMBERME_TOKEN_AGE = timedelta(days=14)
REMEMBERME_TOKEN_MAX_AGE = timedelta(days=30)
# [/settings]
