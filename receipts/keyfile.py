"""Private key files at rest: plain or sealed with a passphrase; mode 0600, written atomically.

File format (``docs/keys.md`` §Key files), RFC 8785 canonical JSON followed by a newline::

    {"algorithm": "Ed25519", "format": "bukti-private-key/1",
     "public_key": "<base64 32 bytes>", "seed": "<base64 32 bytes>"}

or, sealed, ``"seed"`` replaced by::

    "sealed": {"kdf": "argon2id13", "memlimit": <bytes>, "opslimit": <passes>,
               "salt": "<base64 16 bytes>", "box": "<base64 nonce(24) || secretbox(seed)>"}

The box key is ``argon2id(passphrase, salt, opslimit, memlimit)`` (32 bytes) and the box
is XSalsa20-Poly1305 (``nacl.secret.SecretBox``). After opening, the seed must yield the
stored public key, so a file whose public key was edited is refused.

:func:`encode_key_file` and :func:`decode_key_file` are pure; :func:`write_key_file` and
:func:`read_key_file` are the file-system edge.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Final

import nacl.exceptions
import nacl.pwhash
import nacl.secret

from ledger.encoding import canonical_json, parse_json_strict
from ledger.errors import EncodingError
from receipts.errors import (
    InsecureKeyFileError,
    KeyFileError,
    KeyFileExistsError,
    KeyFileFormatError,
    WrongPassphraseError,
)
from receipts.keys import (
    ALGORITHM,
    PUBLIC_KEY_SIZE,
    SEED_SIZE,
    KeyPair,
    b64decode_strict,
    b64encode,
)

__all__ = [
    "DEFAULT_MEMLIMIT",
    "DEFAULT_OPSLIMIT",
    "KEY_FILE_FORMAT",
    "KEY_FILE_MODE",
    "decode_key_file",
    "encode_key_file",
    "read_key_file",
    "write_key_file",
]

KEY_FILE_FORMAT: Final = "bukti-private-key/1"
KEY_FILE_MODE: Final = 0o600
_KDF: Final = "argon2id13"
_argon2id = nacl.pwhash.argon2id
#: Limits a file may ask for: from the library minimum to its "sensitive" preset (1 GiB).
_OPS_RANGE: Final = (_argon2id.OPSLIMIT_MIN, _argon2id.OPSLIMIT_SENSITIVE)
_MEM_RANGE: Final = (_argon2id.MEMLIMIT_MIN, _argon2id.MEMLIMIT_SENSITIVE)
#: Defaults for new sealed files: the library's "moderate" preset (3 passes, 256 MiB).
DEFAULT_OPSLIMIT: Final = _argon2id.OPSLIMIT_MODERATE
DEFAULT_MEMLIMIT: Final = _argon2id.MEMLIMIT_MODERATE
_MAX_FILE_BYTES: Final = 4096


def _box_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    if not passphrase:
        raise WrongPassphraseError("the passphrase is empty")
    key: bytes = _argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode("utf-8"),
        salt,
        opslimit=opslimit,
        memlimit=memlimit,
    )
    return key


def encode_key_file(
    key: KeyPair,
    *,
    passphrase: str | None = None,
    random_bytes: Callable[[int], bytes] | None = None,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> bytes:
    """Bytes of a key file for ``key``; sealing needs ``passphrase`` and ``random_bytes``."""
    document: dict[str, object] = {
        "format": KEY_FILE_FORMAT,
        "algorithm": ALGORITHM,
        "public_key": b64encode(key.public_key),
    }
    if passphrase is None:
        document["seed"] = b64encode(key.seed)
    else:
        if random_bytes is None:
            raise KeyFileError("sealing a key file needs random_bytes for its salt and nonce")
        if not (_OPS_RANGE[0] <= opslimit <= _OPS_RANGE[1]):
            raise KeyFileError(f"opslimit must be in {_OPS_RANGE}, found {opslimit}")
        if not (_MEM_RANGE[0] <= memlimit <= _MEM_RANGE[1]):
            raise KeyFileError(f"memlimit must be in {_MEM_RANGE}, found {memlimit}")
        salt = random_bytes(_argon2id.SALTBYTES)
        nonce = random_bytes(nacl.secret.SecretBox.NONCE_SIZE)
        box = nacl.secret.SecretBox(_box_key(passphrase, salt, opslimit, memlimit))
        document["sealed"] = {
            "kdf": _KDF,
            "opslimit": opslimit,
            "memlimit": memlimit,
            "salt": b64encode(salt),
            "box": b64encode(bytes(box.encrypt(key.seed, nonce))),
        }
    return canonical_json(document) + b"\n"


def _text(document: dict[str, object], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise KeyFileFormatError(f"key file field {name!r} must be text, found {value!r}")
    return value


def _int(document: dict[str, object], name: str) -> int:
    value = document.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyFileFormatError(f"key file field {name!r} must be an integer, found {value!r}")
    return value


def _b64(document: dict[str, object], name: str, size: int) -> bytes:
    try:
        return b64decode_strict(_text(document, name), size=size, what=name)
    except ValueError as exc:
        raise KeyFileFormatError(f"key file: {exc}") from exc


def _open_sealed(sealed: dict[str, object], passphrase: str | None) -> bytes:
    if set(sealed) != {"kdf", "opslimit", "memlimit", "salt", "box"}:
        raise KeyFileFormatError(f"sealed key fields wrong: found {sorted(sealed)}")
    if sealed["kdf"] != _KDF:
        raise KeyFileFormatError(f"kdf must be {_KDF!r}, found {sealed['kdf']!r}")
    opslimit, memlimit = _int(sealed, "opslimit"), _int(sealed, "memlimit")
    if not (_OPS_RANGE[0] <= opslimit <= _OPS_RANGE[1]):
        raise KeyFileFormatError(f"opslimit must be in {_OPS_RANGE}, found {opslimit}")
    if not (_MEM_RANGE[0] <= memlimit <= _MEM_RANGE[1]):
        raise KeyFileFormatError(f"memlimit must be in {_MEM_RANGE}, found {memlimit}")
    salt = _b64(sealed, "salt", _argon2id.SALTBYTES)
    box_size = nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES + SEED_SIZE
    sealed_box = _b64(sealed, "box", box_size)
    if passphrase is None:
        raise WrongPassphraseError("the key file is sealed; a passphrase is needed to open it")
    box = nacl.secret.SecretBox(_box_key(passphrase, salt, opslimit, memlimit))
    try:
        return bytes(box.decrypt(sealed_box))
    except nacl.exceptions.CryptoError as exc:
        raise WrongPassphraseError("the passphrase does not open this sealed key file") from exc


def decode_key_file(data: bytes, *, passphrase: str | None = None) -> KeyPair:
    """Parse key file bytes; a sealed file needs ``passphrase``."""
    if len(data) > _MAX_FILE_BYTES:
        raise KeyFileFormatError(f"a key file is under {_MAX_FILE_BYTES} bytes, found {len(data)}")
    try:
        document = parse_json_strict(data)
    except EncodingError as exc:
        raise KeyFileFormatError(f"key file is not strict JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise KeyFileFormatError(f"not a key file of format {KEY_FILE_FORMAT!r}")
    expected = {"format", "algorithm", "public_key", "sealed" if "sealed" in document else "seed"}
    if set(document) != expected:
        raise KeyFileFormatError(
            f"key file fields: expected {sorted(expected)}, found {sorted(document)}"
        )
    if document["algorithm"] != ALGORITHM:
        raise KeyFileFormatError(
            f"algorithm must be {ALGORITHM!r}, found {document['algorithm']!r}"
        )
    public_key = _b64(document, "public_key", PUBLIC_KEY_SIZE)
    if "seed" in document:
        seed = _b64(document, "seed", SEED_SIZE)
    else:
        sealed = document["sealed"]
        if not isinstance(sealed, dict):
            raise KeyFileFormatError("field 'sealed' must be an object")
        seed = _open_sealed(sealed, passphrase)
    key = KeyPair(seed)
    if key.public_key != public_key:
        raise KeyFileFormatError("the seed does not match the public key stored beside it")
    return key


def write_key_file(
    path: Path,
    key: KeyPair,
    *,
    passphrase: str | None = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> None:
    """Write a new key file atomically with mode 0600; never overwrites an existing file."""
    data = encode_key_file(
        key, passphrase=passphrase, random_bytes=random_bytes, opslimit=opslimit, memlimit=memlimit
    )
    if path.exists():
        raise KeyFileExistsError(f"{path} already exists; key files are never overwritten")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, KEY_FILE_MODE)
    except FileExistsError:
        # Left by a crashed writer with our pid; it never became a key file.
        temporary.unlink()
        fd = os.open(temporary, flags, KEY_FILE_MODE)
    try:
        os.fchmod(fd, KEY_FILE_MODE)  # in case a umask or ACL widened the creation mode
        os.write(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename durable
    finally:
        os.close(directory)


def read_key_file(path: Path, *, passphrase: str | None = None) -> KeyPair:
    """Load a key file; refuses one that group or others could read or write."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise KeyFileError(f"no key file at {path}") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot open key file {path}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"{path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise InsecureKeyFileError(
                f"{path} has mode {mode:04o}; a private key file must be 0600 "
                f"(owner only). Fix it with: chmod 600 {path}"
            )
        data = os.read(fd, _MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    return decode_key_file(data, passphrase=passphrase)
