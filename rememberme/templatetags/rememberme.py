"""
Template tags for the bundled pages: ``{% load rememberme %}``.

``{% moment value %}`` renders a date as a relative time ("2 hours ago",
"in 13 days") inside ``<time datetime="..." title="...">``, so the exact
local time is one hover away and machine-readable.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import avoid_wrapping, format_html
from django.utils.safestring import SafeString
from django.utils.timesince import TIME_STRINGS
from django.utils.translation import gettext as _

__all__ = ["duration", "moment"]

register = template.Library()

#: Closer than this to now reads "just now" rather than "0 minutes ago".
JUST_NOW = datetime.timedelta(minutes=1)

# Each unit, its length in seconds, and from how many of it the next unit
# takes over: days up to 13, then weeks up to 8, then months, then years.
_UNITS = (
    ("minute", 60, 60),
    ("hour", 3600, 24),
    ("day", 86400, 14),
    ("week", 7 * 86400, 9),
    ("month", 30.44 * 86400, 12),
    ("year", 365.25 * 86400, None),
)


def duration(delta: datetime.timedelta) -> str:
    """
    Return ``delta`` in the largest unit that still reads honestly, rounded
    to the nearest whole one: "13 days", "2 weeks", "3 months".

    Django's ``timesince()`` truncates to its first unit, which turns 13
    days into "1 week": a token that has nearly two weeks left would look
    like it ends in one.
    """
    seconds = abs(delta.total_seconds())
    for name, length, limit in _UNITS:
        count = max(1, round(seconds / length))
        if limit is None or count < limit:
            return avoid_wrapping(TIME_STRINGS[name] % {"num": count})
    raise AssertionError("unreachable: the last unit has no limit")


@register.simple_tag
def moment(value: datetime.datetime | None) -> SafeString | str:
    """Return ``value`` as a relative ``<time>`` element, a dash for ``None``."""
    if value is None:
        return "\N{EN DASH}"
    now = timezone.now()
    if abs(now - value) < JUST_NOW:
        text = _("just now")
    elif value < now:
        text = _("%(delta)s ago") % {"delta": duration(now - value)}
    else:
        text = _("in %(delta)s") % {"delta": duration(value - now)}
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    exact = date_format(local, "DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact, text)
