"""Pages with answers or results must not be kept by browsers or shared caches."""

from django.utils.cache import add_never_cache_headers


def no_store_for_private_pages(get_response):
    def middleware(request):
        response = get_response(request)
        # Everything that is not a static file is either private or cheap to render again:
        # never let a shared computer's back button or a proxy show someone's answers.
        # Except a response that already says "no-cache" with a validator (the API's tables):
        # a client may keep it but must ask each time whether it changed, which is what lets an
        # unchanged refresh be an empty 304. "no-store" would forbid keeping it at all.
        revalidated = "ETag" in response and "no-cache" in response.get("Cache-Control", "")
        if not request.path.startswith("/assets/") and not revalidated:
            add_never_cache_headers(response)
        return response

    return middleware
