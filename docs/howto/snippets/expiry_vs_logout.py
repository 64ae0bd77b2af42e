"""How-to (2): run code when a session ends, and tell an expiry from a logout."""

# [receiver]
import logging

from rememberme.signals import session_ended

logger = logging.getLogger("myproject.sessions")


def on_session_ended(sender, request, user, token, reason, **kwargs):
    who = user.get_username() if user is not None else "someone"
    if reason == "logout":
        # Any logout(): the bundled view, the admin's, your own.
        logger.info("%s signed out", who)
    elif reason == "expired":
        # The session timed out (or the browser closed and a token is
        # restoring a new one): reported on the next request that carries
        # the dead session's cookie, before anything else happens.
        logger.info("The session of %s expired", who)
    elif reason == "revoked":
        # Its remember-me token was revoked: "sign out everywhere", the
        # admin, a password change elsewhere, theft.
        logger.info("The session of %s was ended remotely", who)


# In your AppConfig.ready():
def ready():
    session_ended.connect(on_session_ended, dispatch_uid="myproject.on_session_ended")


# [/receiver]


def disconnect():
    session_ended.disconnect(dispatch_uid="myproject.on_session_ended")
