"""The browser's own verifier (static/js) against the project's and a peer's known answers.

The page code is loaded from the running server exactly as a phone loads it, and run over
every receipt test vector (``receipts/vectors/receipts.json``), every RFC 6962 inclusion
vector in ``shared/vectors/tlog-merkle`` and the C2SP signed-note known answer.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.note import NoteSigner
from receipts.vectors import VECTORS_PATH
from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MERKLE_VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors" / "tlog-merkle"

_RUN_RECEIPT_VECTORS = """
async (vectors) => {
  const m = await import("/static/js/receipt.js");
  const fromHex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
  const out = {};
  for (const v of [...vectors.valid, ...vectors.invalid]) {
    try {
      const r = await m.verifyReceipt(
        fromHex(v.cose_hex), vectors.trust_list, vectors.check_time_ms);
      out[v.name] = "valid:" + r.claims.number + ":" + r.claims.charged;
    } catch (e) {
      out[v.name] = e.code || String(e);
    }
  }
  return out;
}
"""

_RUN_INCLUSION_VECTORS = """
async (cases) => {
  const m = await import("/static/js/log.js");
  const b64 = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
  const out = [];
  for (const c of cases) {
    try {
      await m.verifyInclusion(c.leafIdx, c.treeSize, b64(c.leafHash || ""),
        (c.proof || []).map(b64), b64(c.root || ""));
      out.push(true);
    } catch (e) {
      if (!e.code) throw e;
      out.push(false);
    }
  }
  return out;
}
"""

_OPEN_CHECKPOINT = """
async ([note, trust]) => {
  const m = await import("/static/js/log.js");
  try {
    const cp = await m.openCheckpoint(note, trust);
    return {size: cp.size, origin: cp.origin, signer: cp.signer};
  } catch (e) {
    return {error: e.code || String(e)};
  }
}
"""


@pytest.fixture
def blank(page: Page, live_server: LiveServer) -> Page:
    page.goto(f"{live_server.url}/v")
    return page


def test_every_receipt_vector_gets_the_same_verdict_in_the_browser(blank: Page) -> None:
    vectors = json.loads(VECTORS_PATH.read_bytes())
    results = blank.evaluate(_RUN_RECEIPT_VECTORS, vectors)
    for vector in vectors["valid"]:
        claims = vector["claims"]
        assert results[vector["name"]] == f"valid:{claims['number']}:{claims['amount_charged']}"
    for vector in vectors["invalid"]:
        assert results[vector["name"]] == vector["expected"], vector["name"]


def test_every_rfc6962_inclusion_vector_in_the_browser(blank: Page) -> None:
    files = sorted((MERKLE_VECTORS / "inclusion").rglob("*.json"))
    assert len(files) > 20
    cases = [json.loads(f.read_text()) for f in files]
    results = blank.evaluate(_RUN_INCLUSION_VECTORS, cases)
    for path, case, ok in zip(files, cases, results, strict=True):
        assert ok is (not case["wantErr"]), path.relative_to(MERKLE_VECTORS)


def _trust(name: str, public_key: bytes) -> dict[str, Any]:
    return {
        "format": "bukti-trust-list/1",
        "keys": [
            {
                "name": name,
                "purpose": "log",
                "status": "active",
                "algorithm": "Ed25519",
                "public_key": base64.b64encode(public_key).decode(),
                "valid_from": 0,
            }
        ],
    }


def test_checkpoint_signature_checked_in_the_browser(blank: Page) -> None:
    signer = NoteSigner("example.test/log", bytes(range(32)))
    signed = sign_checkpoint(Checkpoint("example.test/log", 5, bytes(32)), signer)
    note = signed.note.decode()
    trust = _trust(signer.name, signer.public_key)
    assert blank.evaluate(_OPEN_CHECKPOINT, [note, trust]) == {
        "size": 5,
        "origin": "example.test/log",
        "signer": "example.test/log",
    }


def test_attack_forged_checkpoint_is_refused_in_the_browser(blank: Page) -> None:
    signer = NoteSigner("example.test/log", bytes(range(32)))
    note = sign_checkpoint(Checkpoint("example.test/log", 5, bytes(32)), signer).note.decode()
    trust = _trust(signer.name, signer.public_key)
    forged = note.replace("\n5\n", "\n6\n", 1)
    assert blank.evaluate(_OPEN_CHECKPOINT, [forged, trust]) == {"error": "bad-checkpoint"}
    stranger = NoteSigner("example.test/log", bytes(32))
    assert blank.evaluate(_OPEN_CHECKPOINT, [note, _trust(stranger.name, stranger.public_key)]) == {
        "error": "bad-checkpoint"
    }
