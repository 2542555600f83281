"""A tiny strict DER reader for the untrusted bytes the certificate core parses.

Key files, PKCS#12 containers and the VID extension are walked with this instead of a
general ASN.1 library: it is fast, bounded, and its only failure is `DerError`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BIT_STRING",
    "BMP_STRING",
    "CONTEXT_0",
    "CONTEXT_1",
    "INTEGER",
    "NULL",
    "OCTET_STRING",
    "OID",
    "PRINTABLE_STRING",
    "SEQUENCE",
    "SET",
    "UTF8_STRING",
    "DerError",
    "Tlv",
    "encode_tlv",
    "parse",
]

INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 0x02, 0x03, 0x04, 0x05, 0x06
UTF8_STRING, PRINTABLE_STRING, BMP_STRING = 0x0C, 0x13, 0x1E
SEQUENCE, SET = 0x30, 0x31
CONTEXT_0, CONTEXT_1 = 0xA0, 0xA1

# Real NPKI structures nest about 8 deep; this bound keeps hostile input from recursing far.
_MAX_DEPTH = 32


class DerError(ValueError):
    """The bytes are not the DER this reader expects (internal; callers map it to a typed error)."""


@dataclass(frozen=True, slots=True)
class Tlv:
    """One DER element: its tag byte and its value bytes."""

    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list[Tlv]:
        if not self.constructed:
            raise DerError("primitive element has no children")
        return _read_all(self.value, 0)

    def expect(self, tag: int) -> Tlv:
        if self.tag != tag:
            raise DerError("unexpected tag")
        return self

    def as_int(self) -> int:
        self.expect(INTEGER)
        if not self.value:
            raise DerError("empty integer")
        return int.from_bytes(self.value, "big", signed=True)

    def as_oid(self) -> str:
        self.expect(OID)
        return decode_oid(self.value)


def _read_one(data: bytes, pos: int) -> tuple[int, int, int]:
    """Return (tag, value start, value end) of the element at pos."""
    end = len(data)
    if pos + 2 > end:
        raise DerError("truncated header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used in these formats")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            raise DerError("indefinite length is not DER")
        if count > 4 or pos + count > end:
            raise DerError("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise DerError("truncated value")
    return tag, pos, pos + length


def _read_all(data: bytes, depth: int) -> list[Tlv]:
    if depth > _MAX_DEPTH:
        raise DerError("nested too deep")
    items: list[Tlv] = []
    pos = 0
    while pos < len(data):
        tag, start, stop = _read_one(data, pos)
        items.append(Tlv(tag, data[start:stop]))
        pos = stop
    return items


def parse(data: bytes, *, allow_trailing: bool = False) -> Tlv:
    """Parse exactly one element (no trailing bytes unless allowed)."""
    tag, start, stop = _read_one(data, 0)
    if stop != len(data) and not allow_trailing:
        raise DerError("trailing bytes")
    return Tlv(tag, bytes(data[start:stop]))


def decode_oid(body: bytes) -> str:
    if not body or body[-1] & 0x80:
        raise DerError("bad OID")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(a) for a in head + arcs[1:])


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def encode_tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(value)) + value
