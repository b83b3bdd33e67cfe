"""The log as any transparency-log client reads it: checkpoint, tiles, proofs, trust list.

C2SP ``tlog-tiles`` read endpoints (``/checkpoint``, ``/tile/<L>/<N>[.p/<W>]``,
``/tile/entries/<N>[.p/<W>]``), RFC 9162 §2.1.4 consistency proofs between two stored
tree sizes, and the public trust list built from the keyring the log defines.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.errors import InvalidRequestError
from api.services.follower import ConfigFollower
from ledger.storage import LogStore
from ledger.tiles import EntriesCoord, parse_tile_path
from receipts.trustlist import build_trust_list

__all__ = ["ConsistencyView", "PublicLog", "TileData"]


@dataclass(frozen=True, slots=True)
class TileData:
    data: bytes
    immutable: bool  # a full tile never changes; a partial one is superseded


@dataclass(frozen=True, slots=True)
class ConsistencyView:
    first: int
    second: int
    proof: tuple[str, ...]  # hex hashes


class PublicLog:
    def __init__(self, store: LogStore, follower: ConfigFollower) -> None:
        self._store = store
        self._follower = follower

    def checkpoint(self) -> bytes:
        """The latest signed checkpoint note (C2SP tlog-checkpoint in a signed note)."""
        return self._store.latest_checkpoint().note

    def tile(self, path: str) -> TileData:
        """A hash tile or entry bundle by its C2SP path (``tile/…``)."""
        coord = parse_tile_path(path)
        if isinstance(coord, EntriesCoord):
            data = self._store.entry_bundle(coord.index, coord.width)
        else:
            data = self._store.hash_tile(coord.level, coord.index, coord.width)
        return TileData(data, not coord.is_partial)

    def consistency(self, first: int, second: int) -> ConsistencyView:
        """RFC 9162 §2.1.4.1 proof that the tree of ``first`` leaves is a prefix of ``second``."""
        # RFC 9162 §2.1.4: a proof exists for 0 < m <= n; the empty tree needs none.
        if not 0 < first <= second:
            raise InvalidRequestError(
                f"expected 0 < from <= to, found from={first}, to={second}",
                "Parameter tidak valid: harus 0 < from ≤ to.",
                field="from",
            )
        proof = self._store.consistency_proof(first, second)
        return ConsistencyView(first, second, tuple(h.hex() for h in proof))

    def trust_list(self) -> bytes:
        """``/.well-known/bukti/keys.json``: every key, active or retired (docs/keys.md)."""
        return build_trust_list(self._follower.current().state.keyring).to_json()
