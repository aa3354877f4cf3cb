"""Bytes -> text: UTF-8 first, then a guessed legacy encoding (with a warning), never a crash.

Pasted clippings come from everywhere; an old file saved as Windows-1252 must still build, and the
user must be told, so the warning names the encoding that was guessed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .fields import Finding

#: Multi-byte East Asian encodings that charset-normalizer likes to guess for mostly-ASCII files
#: with a stray Latin-1 byte (BBC sport/199.txt comes out as cp932 otherwise).
_CJK = re.compile(r"^(cp932|cp949|cp950|shift_jis|euc_|gb|big5|johab|hz|iso2022)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAMPLE = 200_000
"""Bytes shown to charset-normalizer: enough to judge, bounded so huge files stay fast."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """The text of a file (None when it is not text at all) and what was noticed on the way."""

    text: str | None
    encoding: str
    findings: tuple[Finding, ...] = ()


def decode(data: bytes) -> Decoded:
    """Decode file bytes to text with \\n newlines. Pure: no I/O, never raises."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _done(data.decode("utf-16"), "UTF-16", guessed=True)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        return _binary("it contains NUL bytes")
    try:
        return _done(data.decode("utf-8"), "utf-8", guessed=False)
    except UnicodeDecodeError:
        pass
    encoding = _guess(data)
    text = data.decode(encoding, errors="replace")
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):
        return _binary("it is full of control characters")
    if encoding == "cp1252" and not re.search(rb"[\x80-\x9f]", data):
        encoding = "latin-1"  # identical for these bytes, and the name people know
    return _done(text, encoding, guessed=True)


def _guess(data: bytes) -> str:
    """The most plausible legacy encoding, leaning to Windows-1252 when it is as good as any."""
    from charset_normalizer import from_bytes  # 20 ms to import, for the rare legacy file

    matches = from_bytes(data[:_SAMPLE])
    best = matches.best()
    if best is None:
        return _cp1252_or_latin1(data)
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if (western is not None and western.chaos <= best.chaos) or _same_as_cp1252(
        data, best.encoding
    ):
        return "cp1252"
    high = sum(b >= 0x80 for b in data[:_SAMPLE])
    if _CJK.match(best.encoding) and high < len(data[:_SAMPLE]) // 50:
        return _cp1252_or_latin1(data)
    return best.encoding


def _same_as_cp1252(data: bytes, encoding: str) -> bool:
    """Whether Windows-1252 reads these bytes exactly as the guess does (cp1250 often ties)."""
    sample = data[:_SAMPLE]
    try:
        return sample.decode("cp1252") == sample.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False


def _cp1252_or_latin1(data: bytes) -> str:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _done(text: str, encoding: str, *, guessed: bool) -> Decoded:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not guessed:
        return Decoded(text, encoding)
    note = Finding(
        f"not UTF-8; decoded as {encoding}",
        "re-save it as UTF-8 to silence this, after checking that accents and symbols look right",
    )
    return Decoded(text, encoding, (note,))


def _binary(why: str) -> Decoded:
    return Decoded(
        None,
        "binary",
        (
            Finding(
                f"not a text file: {why}",
                "remove it from the content folder, or save it as UTF-8 text",
                severity="error",
            ),
        ),
    )
