"""Static files: hashed and compressed by whitenoise, JavaScript imports included."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # app.js imports nhsuk-frontend.min.js by its plain name; rewriting that import to the
    # hashed name lets the imported file be cached for a year like every other static file.
    support_js_module_import_aggregation = True
