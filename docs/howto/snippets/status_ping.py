"""How-to (4): know when the session ends without extending it."""

# [context_processor]
from rememberme.status import session_status


def session_expiry(request):
    """A context processor: the same answer as the status endpoint, for templates."""
    return {"session_status": session_status(request)}


# [/context_processor]


# [ping]
def seconds_left(client):
    """Ask the status endpoint (with Django's test client here) how long is left."""
    return client.get("/accounts/status/").json()["session_expires_in"]


# [/ping]
