"""The API's addresses (docs/api.md): one for each table in CSV and in JSON, so that Excel and
Power BI, which cannot send an Accept header of their choosing, get the format the address
ends with. The token pages are here too, and the help page."""

from django.urls import path

from . import api, keys, tables

app_name = "api"

urlpatterns = [
    path("api/v1/", api.index, name="index"),
    path("api/v1/openapi.json", api.openapi_document, name="openapi"),
    *(
        path(
            f"api/v1/{key}.{suffix}",
            api.table,
            {"key": key, "suffix": suffix},
            name=f"{key}-{suffix}",
        )
        for key in tables.TABLES
        for suffix in ("csv", "json")
    ),
    path("help/api/", keys.help_page, name="help-api"),
    path("partnerships/<int:partnership_id>/api-tokens/", keys.token_list, name="tokens"),
    path("partnerships/<int:partnership_id>/api-tokens/new/", keys.create, name="new-token"),
    path(
        "partnerships/<int:partnership_id>/api-tokens/<int:api_token_id>/revoke/",
        keys.revoke,
        name="revoke-token",
    ),
]
