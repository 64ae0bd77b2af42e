"""How-to (1): sessions die at browser close, signed-in users stay signed in."""

# [settings]
from datetime import timedelta

# Every session, signed in or not, ends when the browser closes...
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # anonymous sessions (Django's own setting)
REMEMBERME_SESSION_AGE = 0  # sessions of remembered users, and restored ones
REMEMBERME_UNREMEMBERED_SESSION_AGE = 0  # sessions of logins with the box unticked

# ...but a browser where "Remember me" was ticked is signed in again by its
# token, for 30 days of inactivity and at most 90 days after the password.
REMEMBERME_TOKEN_AGE = timedelta(days=30)
REMEMBERME_TOKEN_MAX_AGE = timedelta(days=90)

# These keys come back with the restored session; every other key is gone.
REMEMBERME_PERSISTENT_SESSION_KEYS = ("theme", "language")
# [/settings]
