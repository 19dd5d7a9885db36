"""The search page: parse the request, call the search service, render (the rows only for "Load more")."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from answerable.lib import clock
from answerable.lib.keyset import BadCursor
from answerable.search import services
from answerable.search.syntax import FILTERS, MAX_LENGTH, QuerySyntaxError


@login_required
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[: MAX_LENGTH + 1]
    sort = request.GET.get("sort", "best")
    sort = sort if sort in services.SORTS else "best"
    page, error = None, ""
    try:
        page = services.search(request.user, text, sort=sort, cursor=request.GET.get("after") or None)
    except QuerySyntaxError as exc:
        error = str(exc)
    except BadCursor as exc:
        return HttpResponseBadRequest(str(exc))
    query = {"q": text, **({"sort": sort} if sort != "best" else {})}
    context = {
        "q": text,
        "sort": sort,
        "sorts": services.SORTS,
        "page": page,
        "error": error,
        "filters": FILTERS,
        "window": f"{services.WINDOW:,}",
        "now": clock.now(),
        "next_query": urlencode(query | {"after": page.next_cursor}) if page and page.next_cursor else "",
        "search_q": text,  # the top bar's box shows the search too
        "search_error": error,
    }
    rows_only = request.htmx and request.GET.get("after")
    template = "search/results.html#rows" if rows_only else "search/results.html"
    response = render(request, template, context, status=400 if error else 200)
    response["Vary"] = "HX-Request"
    return response
