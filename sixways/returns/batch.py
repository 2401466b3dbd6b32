"""A round's batch code: the short code printed on every page of its paper questionnaire and
in its spreadsheet template, so a form or file that strays into another round is caught.

Worked out from the round alone, not stored and not secret (it identifies, it does not open
anything): the same round always gives the same code, so forms printed months apart agree,
and a change of the secret key changes nothing on paper already handed out.
"""

import hashlib

from sixways.rounds.models import Round

# No 0/O, 1/I/L, 2/Z, 5/S or 8/B: the code is read off paper and typed back.
ALPHABET = "ACDEFGHJKMNPQRTWXY3467"


def batch_code(round_: Round) -> str:
    """Six characters shown as two threes, e.g. "K7P-M3Q"."""
    seed = f"sixways-paper-batch:{round_.pk}:{round_.created_at.isoformat()}".encode()
    number = int.from_bytes(hashlib.blake2b(seed, digest_size=8).digest())
    chars = []
    for _ in range(6):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars[:3]) + "-" + "".join(chars[3:])


def same_code(typed: str, round_: Round) -> bool:
    """Whether a code as typed (any case, spaces or a missing dash) is this round's."""
    cleaned = "".join(c for c in typed.upper() if c.isalnum())
    return cleaned == batch_code(round_).replace("-", "")
