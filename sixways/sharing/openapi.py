"""The API described in OpenAPI 3.1, at /api/v1/openapi.json.

Written here as data, built from the tables' own column lists (tables.py), so the document
cannot drift from what the tables send; tests/test_api.py checks real responses against it.
"""

from . import tables

JSON_TYPES = {
    "string": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "number": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
}

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {
            "type": "string",
            "description": "What is wrong, as a key: no-token, malformed, unknown-token, "
            "revoked, expired, token-in-address, too-many-wrong-tokens, too-many-requests",
        },
        "message": {"type": "string", "description": "The same, in words"},
    },
}


def row_schema(table: tables.Table) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": table.names,
        "properties": {
            c.name: JSON_TYPES[c.type] | {"description": c.about} for c in table.columns
        },
    }


def table_schema(table: tables.Table) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "table", "generated_at", "min_group_size", "columns", "rows"],
        "properties": {
            "format": {"const": table.format},
            "table": {"const": table.key},
            "generated_at": {"type": "string", "format": "date-time"},
            "min_group_size": {"type": "integer"},
            "columns": {"const": table.names},
            "rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{_name(table)}"}},
        },
    }


def _name(table: tables.Table) -> str:
    return "".join(part.capitalize() for part in table.key.split("-")) + "Row"


def _refusals(*statuses: str) -> dict:
    words = {
        "400": "The token was put in the address, which is never accepted",
        "401": "No token, or one that is unreadable, not recognised, revoked or expired",
        "429": "Too many requests: wait for the seconds in Retry-After",
    }
    return {
        status: {
            "description": words[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in statuses
    }


def _operations(table: tables.Table) -> dict:
    refused = _refusals("400", "401", "429")
    cached = {"304": {"description": "Unchanged since the ETag or date sent"}}
    return {
        f"/api/v1/{table.key}.json": {
            "get": {
                "operationId": f"{table.key}-json",
                "summary": table.about,
                "tags": ["tables"],
                "responses": {
                    "200": {
                        "description": f"The {table.key} table as JSON",
                        "content": {"application/json": {"schema": table_schema(table)}},
                    },
                    **cached,
                    **refused,
                },
            }
        },
        f"/api/v1/{table.key}.csv": {
            "get": {
                "operationId": f"{table.key}-csv",
                "summary": table.about,
                "description": "UTF-8 with a byte order mark, Windows line endings, one header "
                "row with the columns of the JSON rows, in the same order. True and false are "
                "`yes` and `no`; empty cells are the JSON's null.",
                "tags": ["tables"],
                "responses": {
                    "200": {
                        "description": f"The {table.key} table as CSV",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **cached,
                    **refused,
                },
            }
        },
    }


def document(site_url: str) -> dict:
    paths: dict = {
        "/api/v1/": {
            "get": {
                "operationId": "index",
                "summary": "The tables, each with its addresses and a line about it",
                "security": [],
                "responses": {"200": {"description": "The list of tables"}},
            }
        }
    }
    for table in tables.TABLES.values():
        paths.update(_operations(table))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Six Ways API",
            "version": f"{tables.VERSION}.0",
            "description": "Read-only tables of a partnership's rounds and results, for Excel, "
            "Power BI and scripts. Every figure is one the results pages show, hidden where "
            "they hide it. See /help/api/.",
        },
        "servers": [{"url": site_url}],
        "security": [{"basic": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "Any username; the token as the password",
                },
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "Error": ERROR,
                **{_name(t): row_schema(t) for t in tables.TABLES.values()},
            },
        },
    }
