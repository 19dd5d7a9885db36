"""HTML from mail, sanitised once for display: no script, no event handlers, no javascript: links."""

import re

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"alt", "title", "width", "height", "data-src"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_IMG_SRC = re.compile(r"(<img\b[^>]*?)\bsrc(\s*=)", re.IGNORECASE)


def sanitise(html: str) -> str:
    """Clean HTML for the console and portal.

    Images keep no `src`: a remote image tells the sender the mail was read, so the address moves to
    `data-src` (never fetched by the browser) and is loaded only when the agent asks.
    """
    return nh3.clean(
        _IMG_SRC.sub(r"\1data-src\2", html),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
