"""Pages with answers or results must not be kept by browsers or shared caches."""

from django.utils.cache import add_never_cache_headers


def no_store_for_private_pages(get_response):
    def middleware(request):
        response = get_response(request)
        # Everything that is not a static file is either private or cheap to render again:
        # never let a shared computer's back button or a proxy show someone's answers.
        if not request.path.startswith("/assets/"):
            add_never_cache_headers(response)
        return response

    return middleware
