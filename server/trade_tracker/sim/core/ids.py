"""Deterministic identifiers for the simulated account.

Order ids are UUIDs that *encode* where the order lives (product index, order index)
under a seed-keyed mask, so looking an order up by id is O(1) and costs no memory,
even for a history of millions of fills. They still look like random version-4 UUIDs,
and an id the simulator did not issue (or issued under another seed) decodes to None.
"""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["OrderIdCodec", "stable_hex", "stable_uuid"]

_MAX_PRODUCTS = 1 << 8
_MAX_ORDERS = 1 << 48


def _digest(key: bytes, data: bytes, size: int) -> bytes:
    return hashlib.blake2b(data, key=key[:64], digest_size=size).digest()


def stable_uuid(seed: object, *parts: object) -> str:
    """A version-4-looking UUID derived from the seed and a label (stable across runs)."""
    data = ":".join(str(p) for p in (seed, *parts)).encode()
    return str(uuid.UUID(bytes=hashlib.blake2b(data, digest_size=16).digest(), version=4))


def stable_hex(seed: object, *parts: object, length: int = 24) -> str:
    """``length`` hex digits derived from the seed and a label (e.g. a 24-digit user_id)."""
    data = ":".join(str(p) for p in (seed, *parts)).encode()
    return hashlib.blake2b(data, digest_size=(length + 1) // 2).hexdigest()[:length]


class OrderIdCodec:
    """Turns (product index, order index) into an order UUID and back.

    Layout of the 16 bytes: bytes 0-8 are a keyed hash of the position (with the
    UUID version and variant bits applied), bytes 9-15 the 56-bit position
    (8 bits product, 48 bits order) XOR a mask derived from bytes 0-8. Decoding
    unmasks the position and checks that it hashes back to bytes 0-8.
    """

    def __init__(self, seed: object) -> None:
        self._key = hashlib.blake2b(f"sim-order-ids:{seed}".encode(), digest_size=32).digest()

    def _head(self, packed: bytes) -> bytes:
        head = bytearray(_digest(self._key, b"h" + packed, 9))
        head[6] = (head[6] & 0x0F) | 0x40  # version 4
        head[8] = (head[8] & 0x3F) | 0x80  # RFC 4122 variant
        return bytes(head)

    def encode(self, product_index: int, order_index: int) -> str:
        """The order id of order ``order_index`` of product ``product_index``."""
        if not (0 <= product_index < _MAX_PRODUCTS and 0 <= order_index < _MAX_ORDERS):
            raise ValueError("order position out of range")
        packed = ((product_index << 48) | order_index).to_bytes(7, "big")
        head = self._head(packed)
        mask = _digest(self._key, b"m" + head, 7)
        tail = bytes(a ^ b for a, b in zip(packed, mask, strict=True))
        return str(uuid.UUID(bytes=head + tail))

    def decode(self, order_id: str) -> tuple[int, int] | None:
        """(product index, order index) for an id this codec issued, else None.

        Raises ``ValueError`` when ``order_id`` is not a UUID at all (with or without dashes).
        """
        raw = uuid.UUID(order_id.strip()).bytes
        head, tail = raw[:9], raw[9:]
        mask = _digest(self._key, b"m" + head, 7)
        packed = bytes(a ^ b for a, b in zip(tail, mask, strict=True))
        if self._head(packed) != head:
            return None
        value = int.from_bytes(packed, "big")
        return value >> 48, value & (_MAX_ORDERS - 1)
