"""A strict Content-Security-Policy on the desk's HTML pages: belt and braces behind the nh3 sanitiser.

Mail HTML is sanitised before it is stored (`lib.html`), so no script, handler or remote image should reach a
page; if one ever did (a sanitiser bug, a template that forgets `escape`), the browser still refuses to run
inline script, to load script or frames from elsewhere, to fetch remote images, or to post forms off-site.
Remote images are allowed only on the response where the agent asked to see a message's images
(`mail_html` sets `request.remote_images_shown`).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The console's one inline handler (`onchange="this.form.requestSubmit()"` on the assignee select).
_INLINE_HANDLERS = ["'sha256-UzlcSmbX0yUJT7hkhoYjXfKWsyloSDaNGC7i5v9WcAE='"]
# htmx evaluates the presence heartbeat's trigger filter and its `hx-vals='js:...'` as JavaScript. Mail HTML
# can carry no hx-*/data-hx-* attribute (nh3 keeps only the listed ones), so no mail text reaches that
# eval; moving those two into console.js would let this go.
_EVAL = "'unsafe-eval'"


def policy(*, remote_images: bool) -> str:
    images = "'self' data: https: http:" if remote_images else "'self' data:"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {_EVAL} 'unsafe-hashes' {' '.join(_INLINE_HANDLERS)}",
            "style-src 'self' 'unsafe-inline'",  # htmx adds its indicator style; mail HTML keeps no style
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "frame-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Adds the policy to HTML responses that have none, except under the URL namespaces listed in
    CSP_EXEMPT_NAMESPACES (pages with inline scripts not yet moved to static files)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        html = response.get("Content-Type", "").startswith("text/html")
        if not html or "Content-Security-Policy" in response:
            return response
        match = getattr(request, "resolver_match", None)
        exempt = set(getattr(settings, "CSP_EXEMPT_NAMESPACES", ()))
        if match is not None and exempt.intersection(match.namespaces):
            return response
        remote = getattr(request, "remote_images_shown", False)
        response["Content-Security-Policy"] = policy(remote_images=remote)
        return response
