"""HTML mail that tries to run script, phone home or restyle the console: one message per trick.

Every script payload calls `alert('xss-<name>')` or sets `window.__xss`, so a browser test can tell from a
dialog listener and a global that nothing ran. Remote addresses are under `.tracker.example`, so a request
to any of them is a remote load. Used by tests/browser/test_xss.py (Chromium) and test_hostile_input.py.
"""

from email.message import EmailMessage
from email.utils import format_datetime

from conftest import T0

TRACKER = "http://img.tracker.example"

HTML: dict[str, str] = {
    "script": "<p>Hi</p><script>alert('xss-script')</script>",
    "script_src": f"<script src='{TRACKER}/x.js'></script>",
    "img_onerror": "<img src=x onerror=\"alert('xss-img_onerror')\">",
    "svg_onload": "<svg onload=\"alert('xss-svg_onload')\"><script>alert('xss-svg_script')</script></svg>",
    "svg_use": "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='alert(1)'/></svg>#x\"></use></svg>",
    "js_link": '<a id="jslink" href="javascript:alert(\'xss-js_link\')">Open your invoice</a>',
    "js_link_obfuscated": '<a id="jslink2" href="jav&#x09;ascript:alert(\'xss-js_link2\')">Track parcel</a>',
    "data_link": "<a href=\"data:text/html,<script>alert('xss-data_link')</script>\">Details</a>",
    "iframe": "<iframe src=\"data:text/html,<script>alert('xss-iframe')</script>\"></iframe>",
    "iframe_srcdoc": "<iframe srcdoc=\"<script>parent.alert('xss-srcdoc')</script>\"></iframe>",
    "object_embed": '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLW9iamVjdCcpPC9zY3JpcHQ+">'
    "</object><embed src=\"javascript:alert('xss-embed')\">",
    "body_onload": "<body onload=\"alert('xss-body_onload')\"><p>Body</p></body>",
    "details_ontoggle": "<details open ontoggle=\"alert('xss-ontoggle')\"><summary>s</summary></details>",
    "autofocus_onfocus": "<input autofocus onfocus=\"alert('xss-onfocus')\">",
    "meta_refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss-meta\')">',
    "base_href": f'<base href="{TRACKER}/"><a href="relative">relative link</a>',
    "form_action": f'<form action="{TRACKER}/steal"><input name=p><button formaction='
    "\"javascript:alert('xss-form')\">Go</button></form>",
    "mxss_math": "<math><mtext><table><mglyph><style><img src=x onerror=\"alert('xss-mxss')\">"
    "</style></mglyph></table></mtext></math>",
    "noscript": "<noscript><p title=\"</noscript><img src=x onerror=alert('xss-noscript')>\"></noscript>",
    "style_tag": f"<style>body{{background:url({TRACKER}/style.png)}} .topbar{{display:none}}</style>"
    "<p>x</p>",
    "style_attr": f'<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:url('
    f'{TRACKER}/cover.png)">Overlay</div>',
    "css_import": f"<style>@import url({TRACKER}/evil.css);</style>",
    "link_stylesheet": f'<link rel=stylesheet href="{TRACKER}/evil.css">',
    "table_background": f'<table background="{TRACKER}/bg.png"><tr><td>t</td></tr></table>',
    "video_poster": f'<video poster="{TRACKER}/poster.png"></video><input type=image src="{TRACKER}/in.png">',
    "srcset": f'<img srcset="{TRACKER}/srcset.png 1x" alt="srcset">',
    "data_svg_image": '<img src="data:image/svg+xml;base64,'
    'PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnIG9ubG9hZD0nYWxlcnQoMSknLz4=">',
    "remote_image": f'<p>Here is the photo of the damage:</p><img src="{TRACKER}/pixel.png?id=42" '
    'alt="damage">',
    "dom_clobber": '<form id="__xss"><input name="x"></form><img name="getElementById">',
    "htmx_attributes": '<div hx-get="/logout/" hx-trigger="load" hx-vals=\'js:{a: alert("xss-hx")}\'>'
    '<p data-hx-post="/t/1/assign/" data-hx-trigger="load">htmx</p></div>',
    "entity_script": "&lt;script&gt;alert('xss-entity')&lt;/script&gt;<p>escaped text</p>",
}


def mail(name: str, *, n: int, thread: str | None = None) -> bytes:
    """The payload as a multipart/alternative mail from one customer, threaded under `thread`."""
    msg = EmailMessage()
    msg["From"] = "Mallory <script>alert('xss-from')</script> <mallory@attacker.example>"
    msg["To"] = "billing@desk.example"
    msg["Subject"] = f"<img src=x onerror=alert('xss-subject')> Invoice question {n}"
    msg["Date"] = format_datetime(T0)
    msg["Message-ID"] = f"<hostile-{n}-{name}@attacker.example>"
    if thread:
        msg["In-Reply-To"] = thread
        msg["References"] = thread
    msg.set_content(f"Plain part of {name}: <script>alert('xss-text')</script>\n")
    msg.add_alternative(f"<html><body>{HTML[name]}<p>marker-{name}</p></body></html>", subtype="html")
    return msg.as_bytes()


def utf7_mail(*, n: int, thread: str) -> bytes:
    """A UTF-7 HTML part: browsers never decode UTF-7 any more, but a sanitiser that did would let it by."""
    body = b"+ADw-script+AD4-alert('xss-utf7')+ADw-/script+AD4-<p>marker-utf7</p>"
    return (
        b"From: Mallory <mallory@attacker.example>\r\nTo: billing@desk.example\r\n"
        b"Subject: utf7\r\nMessage-ID: <hostile-utf7@attacker.example>\r\n"
        + f"In-Reply-To: {thread}\r\nReferences: {thread}\r\n".encode()
        + b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-7\r\n\r\n"
        + body
        + b"\r\n"
    )
