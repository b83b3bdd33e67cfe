"""The deployment's signing keys on disk and in the log.

Private keys are files of mode 0600 under ``<data_dir>/keys`` (written by
:func:`receipts.write_key_file`, optionally sealed with ``BUKTI_KEY_PASSPHRASE``):

- ``log.key`` — the first log key (``bukti init``); it signs every checkpoint (C2SP signed
  note) until a rotation;
- ``log-<kid hex>.key`` — a log key made by ``bukti keys rotate --purpose log``, named by
  its signed-note key ID;
- ``receipts-<kid hex>.key`` — one file per receipts key, named by its COSE key id.

The log key that signs is the one the log names as current (the active ``log`` key that
became valid last): :meth:`KeyFiles.log_signer_for` finds its file.

The public half of each key is registered in the log with ``key.added`` (and
``key.retired`` on rotation); the trust list (``<data_dir>/keys.json`` and
``/.well-known/bukti/keys.json``) is built from the keyring the log defines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from api.errors import SetupError
from ledger.note import NoteSigner
from ledger.note import key_id as note_key_id
from receipts import KeyPair, read_key_file, receipt_key_id, write_key_file
from receipts.keys import KeyRecord, Keyring
from receipts.trustlist import build_trust_list

__all__ = ["KeyFiles"]

LOG_KEY_FILE = "log.key"


class KeyFiles:
    """The private key files of one data directory."""

    def __init__(self, keys_dir: Path, passphrase: str | None) -> None:
        self.keys_dir = keys_dir
        self._passphrase = passphrase

    @property
    def log_key_path(self) -> Path:
        return self.keys_dir / LOG_KEY_FILE

    def rotated_log_key_path(self, kid: bytes) -> Path:
        """The file of a log key made by a rotation, named by its note key ID."""
        return self.keys_dir / f"log-{kid.hex()}.key"

    def receipts_key_path(self, kid: bytes) -> Path:
        return self.keys_dir / f"receipts-{kid.hex()}.key"

    def _ensure_dir(self) -> None:
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.keys_dir, 0o700)

    def load_log_key(self) -> KeyPair:
        if not self.log_key_path.exists():
            raise SetupError(
                f"expected the log key at {self.log_key_path}, found no file; run `bukti init`",
                "Kunci log belum ada; jalankan `bukti init` terlebih dahulu.",
            )
        return read_key_file(self.log_key_path, passphrase=self._passphrase)

    def log_signer(self, name: str) -> NoteSigner:
        """The checkpoint signer: the log key under its note key name."""
        return NoteSigner(name, self.load_log_key().seed)

    def create_log_key(self, random_bytes: Callable[[int], bytes]) -> KeyPair:
        """Create ``log.key`` unless it exists; return the key either way."""
        if self.log_key_path.exists():
            return self.load_log_key()
        self._ensure_dir()
        key = KeyPair.generate(random_bytes)
        write_key_file(
            self.log_key_path, key, passphrase=self._passphrase, random_bytes=random_bytes
        )
        return key

    def create_rotated_log_key(self, random_bytes: Callable[[int], bytes], name: str) -> KeyPair:
        """A new log key file for a rotation, named by its key ID under note key ``name``."""
        self._ensure_dir()
        key = KeyPair.generate(random_bytes)
        write_key_file(
            self.rotated_log_key_path(note_key_id(name, key.public_key)),
            key,
            passphrase=self._passphrase,
            random_bytes=random_bytes,
        )
        return key

    def log_signer_for(self, record: KeyRecord) -> NoteSigner:
        """The checkpoint signer of the log key ``record`` (its file: rotated, else ``log.key``).

        Raises :class:`SetupError` when no key file of this data directory holds it.
        """
        for path in (self.rotated_log_key_path(record.kid), self.log_key_path):
            if path.exists():
                key = read_key_file(path, passphrase=self._passphrase)
                if key.public_key == record.public_key:
                    return NoteSigner(record.name, key.seed)
        raise SetupError(
            f"expected the private log key {record.kid.hex()} ({record.name}) at "
            f"{self.rotated_log_key_path(record.kid)}, found no file holding it",
            f"Kunci log {record.kid.hex()} tidak ada di server ini; salin berkas kuncinya "
            "dari server tempat rotasi dilakukan.",
        )

    def create_receipts_key(self, random_bytes: Callable[[int], bytes]) -> KeyPair:
        """Create a new receipts key file, named by its kid."""
        self._ensure_dir()
        key = KeyPair.generate(random_bytes)
        write_key_file(
            self.receipts_key_path(receipt_key_id(key.public_key)),
            key,
            passphrase=self._passphrase,
            random_bytes=random_bytes,
        )
        return key

    def load_receipts_key(self, kid: bytes) -> KeyPair:
        path = self.receipts_key_path(kid)
        if not path.exists():
            raise SetupError(
                f"expected the private receipts key {kid.hex()} at {path}, found no file",
                f"Kunci kuitansi {kid.hex()} tidak ada di server ini.",
            )
        return read_key_file(path, passphrase=self._passphrase)

    @staticmethod
    def write_trust_list(path: Path, keyring: Keyring) -> None:
        """Write the public trust list atomically (readable by anyone; it holds no secret)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(build_trust_list(keyring).to_json())
        os.replace(temporary, path)
