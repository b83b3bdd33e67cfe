"""Private key files: mode 0600, atomic, never overwritten, optionally sealed."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import nacl.pwhash
import pytest

from receipts import (
    InsecureKeyFileError,
    KeyFileError,
    KeyFileExistsError,
    KeyFileFormatError,
    KeyPair,
    WrongPassphraseError,
    read_key_file,
    write_key_file,
)
from receipts.keyfile import decode_key_file, encode_key_file

KEY = KeyPair(hashlib.sha256(b"bukti keyfile test seed").digest())
OTHER = KeyPair(hashlib.sha256(b"bukti keyfile other seed").digest())
# The smallest argon2id cost keeps the tests fast; deployments use the "moderate" preset.
FAST = {
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}


def _random(size: int) -> bytes:
    return hashlib.sha256(b"fixed randomness").digest()[:size] + bytes(max(0, size - 32))


@pytest.fixture
def wide_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_plain_key_file_round_trip_with_mode_0600(tmp_path: Path, wide_umask: None) -> None:
    path = tmp_path / "receipts.key"
    write_key_file(path, KEY)
    assert _mode(path) == 0o600  # even with umask 0
    assert read_key_file(path).public_key == KEY.public_key
    assert [p.name for p in tmp_path.iterdir()] == ["receipts.key"]  # no temporary left
    document = json.loads(path.read_bytes())
    assert document["format"] == "bukti-private-key/1"
    assert set(document) == {"format", "algorithm", "public_key", "seed"}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_attack_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "receipts.key"
    write_key_file(path, KEY)
    path.chmod(mode)
    with pytest.raises(InsecureKeyFileError, match=f"mode {mode:04o}.*chmod 600"):
        read_key_file(path)


def test_attack_symlinked_key_file_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "real.key"
    write_key_file(target, KEY)
    link = tmp_path / "link.key"
    link.symlink_to(target)
    with pytest.raises(KeyFileError, match="cannot open"):
        read_key_file(link)


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "receipts.key"
    write_key_file(path, KEY)
    with pytest.raises(KeyFileExistsError):
        write_key_file(path, OTHER)
    assert read_key_file(path).public_key == KEY.public_key


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        read_key_file(tmp_path / "absent.key")


def test_sealed_key_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sealed.key"
    write_key_file(path, KEY, passphrase="kata sandi rahasia", random_bytes=_random, **FAST)
    assert _mode(path) == 0o600
    raw = path.read_bytes()
    assert KEY.seed.hex().encode() not in raw
    assert b'"seed"' not in raw
    assert json.loads(raw)["sealed"]["kdf"] == "argon2id13"
    assert read_key_file(path, passphrase="kata sandi rahasia").seed == KEY.seed


def test_sealed_key_file_with_the_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "sealed.key"
    write_key_file(path, KEY, passphrase="benar", random_bytes=_random, **FAST)
    with pytest.raises(WrongPassphraseError, match="does not open"):
        read_key_file(path, passphrase="salah")
    with pytest.raises(WrongPassphraseError, match="passphrase is needed"):
        read_key_file(path)
    with pytest.raises(WrongPassphraseError, match="empty"):
        read_key_file(path, passphrase="")


def test_sealing_is_deterministic_given_the_randomness() -> None:
    first = encode_key_file(KEY, passphrase="p", random_bytes=_random, **FAST)
    assert first == encode_key_file(KEY, passphrase="p", random_bytes=_random, **FAST)
    with pytest.raises(KeyFileError, match="random_bytes"):
        encode_key_file(KEY, passphrase="p")


def test_attack_swapped_public_key_is_detected() -> None:
    document = json.loads(encode_key_file(KEY))
    document["public_key"] = json.loads(encode_key_file(OTHER))["public_key"]
    with pytest.raises(KeyFileFormatError, match="does not match"):
        decode_key_file(json.dumps(document).encode())


def test_attack_tampered_sealed_box_does_not_open() -> None:
    document = json.loads(encode_key_file(KEY, passphrase="p", random_bytes=_random, **FAST))
    box = bytearray(document["sealed"]["box"].encode())
    box[40] = ord("A") if box[40] != ord("A") else ord("B")
    document["sealed"]["box"] = box.decode()
    with pytest.raises(WrongPassphraseError):
        decode_key_file(json.dumps(document).encode(), passphrase="p")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "strict JSON"),
        (b'{"format": "other/1"}', "format"),
        (b'{"format": "bukti-private-key/1", "format": "bukti-private-key/1"}', "duplicate"),
        (b"x" * 5000, "under 4096 bytes"),
    ],
)
def test_malformed_key_files(data: bytes, message: str) -> None:
    with pytest.raises(KeyFileFormatError, match=message):
        decode_key_file(data)


def test_attack_sealed_file_cannot_demand_huge_kdf_memory() -> None:
    document = json.loads(encode_key_file(KEY, passphrase="p", random_bytes=_random, **FAST))
    document["sealed"]["memlimit"] = 64 * 2**30
    with pytest.raises(KeyFileFormatError, match="memlimit"):
        decode_key_file(json.dumps(document).encode(), passphrase="p")
