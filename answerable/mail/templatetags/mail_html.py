"""`{% mail_html message %}`: a message's sanitised HTML, its remote images held back until the agent asks.

`lib.html.sanitise` stores every image's address in `data-src`, which browsers never fetch (a remote image
tells the sender the mail was opened, and when). The message then shows a "Show remote images" link; the
page reloaded with `?images=<message id>` gives that message's http(s) images their `src` back (and
`lib.csp` lets that one response load them).
"""

import re
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_HELD = re.compile(r'\bdata-src="(https?://[^"]*)"', re.IGNORECASE)


@register.simple_tag(takes_context=True)
def mail_html(context: dict[str, Any], message: Any) -> SafeString:
    html = message.html or ""
    if not _HELD.search(html):
        return mark_safe(f'<div class="body html">{html}</div>')  # noqa: S308 (sanitised by nh3 at ingest)
    request = context.get("request")
    if request is not None and request.GET.get("images") == str(message.pk):
        request.remote_images_shown = True
        shown = _HELD.sub(r'src="\1"', html)
        return mark_safe(f'<div class="body html">{shown}</div>')  # noqa: S308 (sanitised by nh3 at ingest)
    link = format_html(
        '<p class="meta remote-images">Remote images are hidden. '
        '<a href="?images={}#m{}">Show remote images</a></p>',
        message.pk,
        message.pk,
    )
    return mark_safe(f'<div class="body html">{html}</div>{link}')  # noqa: S308 (sanitised by nh3 at ingest)
