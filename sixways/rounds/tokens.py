"""Participant link tokens: hashing a token for storage, and working a token out again.

A link's token is never stored. The database keeps a random salt and the token's SHA-256 hash;
the token itself is an HMAC of the salt under the secret key, so the service can rebuild a link
for a reminder while someone holding only the database cannot (docs/adr/0005). This module
knows nothing of models, so `Invitation` and anything else can use it without an import cycle.
"""

import base64
import hashlib
import hmac

from django.conf import settings


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derive_token(salt: str, purpose: str = "invitation") -> str:
    """A link's token, worked out again from its random salt and the secret key. `purpose`
    keeps the tokens of different kinds of link apart (board links pass "board-link").

    The database keeps the salt and the token's hash, never the token: someone who reads the
    database cannot make a working link without the secret key, yet the service can put the
    same link in a reminder or show a shareable link to its facilitator again.
    """
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"sixways-{purpose}:{salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
