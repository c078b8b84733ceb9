from django.http import HttpRequest, HttpResponse


def overview(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def department(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError
