"""The C2SP read endpoints, the trust list and consistency proofs, as a log client sees them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ledger.checkpoint import open_checkpoint
from ledger.merkle import leaf_hash, root_from_leaves, verify_consistency
from ledger.note import NoteVerifier
from ledger.tiles import decode_entry_bundle, decode_hash_tile
from receipts.trustlist import TrustList
from tests.api.conftest import login

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _verifier(client: TestClient) -> NoteVerifier:
    trust = TrustList.from_json(client.get("/.well-known/bukti/keys.json").content)
    (log_key,) = [r for r in trust.records if r.purpose.value == "log"]
    assert log_key.verifier_key is not None
    return NoteVerifier.from_string(log_key.verifier_key)


def test_checkpoint_tiles_and_bundles_agree(client: TestClient) -> None:
    checkpoint = client.get("/checkpoint")
    assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
    assert checkpoint.headers["cache-control"] == "no-cache"
    signed = open_checkpoint(checkpoint.content, [_verifier(client)], origin=None)
    size = signed.checkpoint.size
    bundle = client.get(f"/tile/entries/000.p/{size}")
    assert bundle.headers["content-type"] == "application/octet-stream"
    assert "immutable" not in bundle.headers["cache-control"]
    entries = decode_entry_bundle(bundle.content, width=size)
    tile = client.get(f"/tile/0/000.p/{size}")
    hashes = decode_hash_tile(tile.content, size)
    assert hashes == [leaf_hash(e) for e in entries]
    assert root_from_leaves(hashes) == signed.checkpoint.root


def test_full_tiles_are_immutable_and_missing_ones_404(client: TestClient) -> None:
    headers = {**login(client, "loket.dlh")}
    size = int(client.get("/checkpoint").text.splitlines()[1])
    for i in range(256 - size):
        response = client.post(
            "/api/v1/receipts",
            json={"counter": "L02", "service": "RJU-PKR-01"},
            headers={**headers, "Idempotency-Key": f"fill-{i}"},
        )
        assert response.status_code == 201
    full = client.get("/tile/0/000")
    assert full.status_code == 200
    assert len(full.content) == 256 * 32
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/tile/entries/000").headers["cache-control"].endswith("immutable")
    missing = client.get("/tile/0/001")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/tile/0/not-a-tile").status_code == 404


def test_consistency_proof_links_two_checkpoints(client: TestClient) -> None:
    first = open_checkpoint(client.get("/checkpoint").content, [_verifier(client)], origin=None)
    client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-02"},
        headers={**login(client, "loket.dlh"), "Idempotency-Key": "grow"},
    )
    second = open_checkpoint(client.get("/checkpoint").content, [_verifier(client)], origin=None)
    a, b = first.checkpoint.size, second.checkpoint.size
    proof = client.get(f"/api/v1/proof/consistency?from={a}&to={b}").json()["proof"]
    verify_consistency(
        a, b, [bytes.fromhex(h) for h in proof], first.checkpoint.root, second.checkpoint.root
    )
    assert client.get(f"/api/v1/proof/consistency?from={b}&to={a}").status_code == 422
    assert client.get(f"/api/v1/proof/consistency?from=0&to={b}").status_code == 422
    assert client.get(f"/api/v1/proof/consistency?from=1&to={b + 5}").status_code == 404


def test_trust_list_names_both_key_purposes(client: TestClient) -> None:
    response = client.get("/.well-known/bukti/keys.json")
    assert response.headers["content-type"] == "application/json"
    purposes = {r.purpose.value for r in TrustList.from_json(response.content).records}
    assert purposes == {"log", "receipts"}


def test_attack_forged_receipt_is_not_valid(client: TestClient) -> None:
    issued = client.post(
        "/api/v1/receipts",
        json={"counter": "L01", "service": "RJU-PKR-02"},
        headers={**login(client, "loket.dlh"), "Idempotency-Key": "forge"},
    ).json()
    url = issued["qr_url"]
    head, payload = url.split("#")
    tampered = payload[:-6] + ("A" if payload[-6] != "A" else "B") + payload[-5:]
    result = client.post("/api/v1/verify", json={"input": f"{head}#{tampered}"}).json()
    assert result["valid"] is False
    assert result["code"] in {"bad-signature"} or result["code"].startswith("malformed")
    garbage = client.post("/api/v1/verify", json={"input": "hello"}).json()
    assert garbage["valid"] is False
