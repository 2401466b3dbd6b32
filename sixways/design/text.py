"""What text a person types may hold, and making text already stored safe for file formats.

Every typed-text field (comments, reasons, names, round titles, organisations imported from a
file) is checked by `TypedText`, so each refuses the same characters with a message naming
the field. Refused are:

- control characters (line breaks and tabs only where the field allows several lines): they
  break exports and can hide text from the people reading it;
- bidirectional overrides, embeddings and isolates (U+202A to U+202E, U+2066 to U+2069): they
  make text display in a different order from the one it is stored in, so a comment or a name
  can read as something else on a page, in a spreadsheet or in a slide;
- non-characters (U+FDD0 to U+FDEF, and the last two code points of every plane, such as
  U+FFFE): Unicode reserves them for programs' own use, and XML (so Word, Excel and
  PowerPoint files) cannot hold some of them.

Text saved before these rules may still hold them. `xml_safe` is for the boundary of a file
builder that cannot take such text.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

LINE_BREAKS = "\n\r\t"
BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))

CONTROL = "hidden control characters"
CONTROL_OR_LINE_BREAK = "line breaks or hidden control characters"
BIDI = "hidden characters that change how text is shown"
NONCHARACTER = "characters that are not text"


def is_noncharacter(char: str) -> bool:
    point = ord(char)
    return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def hidden_characters(text: str, *, line_breaks: bool = True) -> str | None:
    """What kind of character this text must not hold, in words for a message ("hidden
    control characters"), or None when it is fine. `line_breaks` allows new lines and tabs."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            if line_breaks and char in LINE_BREAKS:
                continue
            return CONTROL if line_breaks else CONTROL_OR_LINE_BREAK
        if char in BIDI_CONTROLS:
            return BIDI
        if is_noncharacter(char):
            return NONCHARACTER
    return None


class TypedText:
    """Validator for a typed-text field. `what` is how a person would name the field at the
    start of a sentence: "Comments", "The reason", "The name"."""

    def __init__(self, what: str, *, line_breaks: bool = True):
        self.what = what
        self.line_breaks = line_breaks

    def __call__(self, value: str) -> None:
        found = hidden_characters(value, line_breaks=self.line_breaks)
        if found:
            raise ValidationError(f"{self.what} must not contain {found}", code="hidden")


# What XML 1.0 cannot hold: control characters but tab, line feed and carriage return,
# surrogates, U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """The text without the characters an XML document cannot hold, for a builder that would
    refuse it (python-pptx): text stored before the forms refused them must still export."""
    return NOT_XML.sub("", text)


def plural(n: int, word: str, words: str | None = None) -> str:
    """A count with its noun: "1 response", "5 responses", "2 people" (words="people")."""
    return f"{n} {word if n == 1 else (words or word + 's')}"
