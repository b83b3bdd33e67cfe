"""Checkpoints (C2SP tlog-checkpoint): body format, signing, strict parsing, attacks."""

from __future__ import annotations

import base64

import pytest

from ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    SignedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
)
from ledger.errors import CheckpointError, LedgerError, UnknownKeyError
from ledger.merkle import EMPTY_ROOT
from ledger.note import NoteSigner, sign_note

ORIGIN = "bekasikab.go.id/bukti"
SIGNER = NoteSigner(ORIGIN, bytes(range(32)))
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ROOT_B64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="

# A regression vector (also in docs/ledger-format.md): Ed25519 signatures are deterministic.
KNOWN_NOTE = (
    "bekasikab.go.id/bukti\n"
    "8\n"
    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    "\n"
    "— bekasikab.go.id/bukti i5kk90bLGuLY2yStahe0YJRDZ79eO4Fc4Rxu3zUXclxj0ZyJBOseBKafPjP9yniSW"
    "E6FELnKBWMEm6jZfY1iKPxW+AU=\n"
).encode()


def test_body_text_and_parse_round_trip() -> None:
    cp = Checkpoint(ORIGIN, 8, ROOT)
    assert cp.to_text() == f"{ORIGIN}\n8\n{ROOT_B64}\n"
    assert Checkpoint.parse(cp.to_text()) == cp
    with_ext = Checkpoint(ORIGIN, 8, ROOT, ("ekstensi satu", "dua"))
    assert with_ext.to_text().endswith(f"{ROOT_B64}\nekstensi satu\ndua\n")
    assert Checkpoint.parse(with_ext.to_text()) == with_ext


def test_empty_tree_checkpoint() -> None:
    cp = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert cp.to_text().split("\n")[1] == "0"
    assert Checkpoint.parse(cp.to_text()) == cp


def test_known_answer_signed_checkpoint() -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), SIGNER)
    assert signed.note == KNOWN_NOTE
    opened = open_checkpoint(KNOWN_NOTE, [SIGNER.verifier()], origin=ORIGIN)
    assert opened == SignedCheckpoint(Checkpoint(ORIGIN, 8, ROOT), KNOWN_NOTE)


@pytest.mark.parametrize("mask", [0x01, 0x20])
def test_attack_every_flipped_byte_fails(mask: int) -> None:
    verifiers = [SIGNER.verifier()]
    for i in range(len(KNOWN_NOTE)):
        forged = bytearray(KNOWN_NOTE)
        forged[i] ^= mask
        with pytest.raises(LedgerError):
            open_checkpoint(bytes(forged), verifiers, origin=ORIGIN)


def test_attack_checkpoint_for_another_log_is_rejected() -> None:
    other = NoteSigner("kab.example/bukti", bytes(range(32)))
    note = sign_checkpoint(Checkpoint("kab.example/bukti", 8, ROOT), other).note
    with pytest.raises(CheckpointError, match=r"origin is 'kab\.example/bukti'; expected"):
        open_checkpoint(note, [other.verifier()], origin=ORIGIN)
    assert open_checkpoint(note, [other.verifier()], origin=None).checkpoint.size == 8


def test_attack_checkpoint_by_unknown_key_is_rejected() -> None:
    rogue = NoteSigner(ORIGIN, bytes(32))
    note = sign_checkpoint(Checkpoint(ORIGIN, 9, ROOT), rogue).note
    with pytest.raises(UnknownKeyError):
        open_checkpoint(note, [SIGNER.verifier()], origin=ORIGIN)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"\n8\n{ROOT_B64}\n", "origin must be non-empty"),
        (f"{ORIGIN}\n08\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n00\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n+8\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n-8\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n 8\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n8.0\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n\u0668\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n\n{ROOT_B64}\n", "without leading zeros"),
        (f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", "exceeds 2\\*\\*64-1"),
        (f"{ORIGIN}\n8\n{ROOT_B64[:-1]}\n", "not standard base64"),
        (f"{ORIGIN}\n8\n{ROOT.hex()}\n", "must be 32 bytes|not standard base64"),
        (f"{ORIGIN}\n8\n{base64.b64encode(ROOT[:31]).decode()}\n", "must be 32 bytes, found 31"),
        (f"{ORIGIN}\n8\n{base64.urlsafe_b64encode(ROOT).decode()}\n", "not standard base64"),
        (f"{ORIGIN}\n8\n{ROOT_B64[:-2]}h=\n", "not canonical base64"),
        (f"{ORIGIN}\n8\n", "found 2 line"),
        (f"{ORIGIN}\n8\n{ROOT_B64}", "must end with a newline"),
        (f"{ORIGIN}\n8\n{ROOT_B64}\n\nekstensi\n", "extension line 1 must be non-empty"),
        (f"{ORIGIN}\x7f\x01\n8\n{ROOT_B64}\n", "control character U\\+0001"),
    ],
)
def test_malformed_bodies_are_rejected(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 1, ROOT), "origin must be non-empty"),
        ((ORIGIN, -1, ROOT), "outside 0..2\\*\\*64-1"),
        ((ORIGIN, MAX_TREE_SIZE + 1, ROOT), "outside 0..2\\*\\*64-1"),
        ((ORIGIN, True, ROOT), "must be an integer"),
        ((ORIGIN, 1, ROOT[:31]), "32 bytes, found 31"),
        ((ORIGIN, 1, ROOT, ("",)), "extension line 1 must be non-empty"),
        ((ORIGIN, 1, ROOT, ("a\nb",)), "control character U\\+000A"),
        (("a\nb", 1, ROOT), "control character U\\+000A"),
    ],
)
def test_constructor_validates(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint(*args)  # type: ignore[arg-type]


def test_signed_checkpoint_with_a_witness_cosignature_opens() -> None:
    witness = NoteSigner("saksi.example/w1", bytes(range(64, 96)))
    note = sign_note(Checkpoint(ORIGIN, 8, ROOT).to_text(), [SIGNER, witness])
    opened = open_checkpoint(note, [SIGNER.verifier()], origin=ORIGIN)
    assert opened.checkpoint.root == ROOT
