"""
Template tags for the bundled pages: ``{% load rememberme %}``.

``{% moment value %}`` renders a date as a relative time ("2 hours ago",
"in 1 week") inside ``<time datetime="..." title="...">``, so the exact
local time is one hover away and machine-readable.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

__all__ = ["moment"]

register = template.Library()

#: Closer than this to now reads "just now" rather than "0 minutes ago".
JUST_NOW = datetime.timedelta(minutes=1)


@register.simple_tag
def moment(value: datetime.datetime | None) -> SafeString | str:
    """Return ``value`` as a relative ``<time>`` element, a dash for ``None``."""
    if value is None:
        return "\N{EN DASH}"
    now = timezone.now()
    if abs(now - value) < JUST_NOW:
        text = _("just now")
    elif value < now:
        text = _("%(delta)s ago") % {"delta": timesince(value, now, depth=1)}
    else:
        text = _("in %(delta)s") % {"delta": timeuntil(value, now, depth=1)}
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    exact = date_format(local, "DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact, text)
