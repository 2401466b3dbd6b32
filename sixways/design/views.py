"""Error pages in plain English, in the service's own layout, with no detail that could leak."""

from django.shortcuts import render


def bad_request(request, exception=None):
    return render(request, "errors/400.jinja", status=400)


def forbidden(request, exception=None):
    return render(request, "errors/403.jinja", status=403)


def not_found(request, exception=None):
    return render(request, "errors/404.jinja", status=404)


def server_error(request):
    return render(request, "errors/500.jinja", status=500)
