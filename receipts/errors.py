"""The one error hierarchy of :mod:`receipts`.

::

    ReceiptsError
     ├── ReceiptVerificationError      a receipt is not valid; ``.code`` says why
     │    ├── MalformedReceipt          not a well-formed receipt     ("malformed.<reason>")
     │    ├── UnknownKeyError           key id not in the trust list  ("unknown-key")
     │    ├── BadSignatureError         signature does not verify     ("bad-signature")
     │    ├── KeyValidityError          key not valid when issued
     │    │    ├── RetiredKeyError      issued at or after retirement ("retired-key")
     │    │    └── KeyNotYetValidError  issued before the key's start ("key-not-yet-valid")
     │    ├── IssuedInFutureError       issued after the check time   ("issued-in-future")
     │    ├── FeeMismatchError          charged ≠ official, no waiver ("fee-mismatch")
     │    └── NoReceiptFoundError       the input holds no receipt    ("no-receipt-found")
     ├── InvalidClaimsError             claims given for signing break a format rule
     ├── ShortCodeError                 a typed verification code is not well formed
     ├── QrCapacityError                a receipt does not fit the largest allowed QR version
     ├── KeyringError                   a key operation breaks a keyring rule
     ├── TrustListError                 a trust list document is not well formed
     └── KeyFileError                   a private key file cannot be used
          ├── InsecureKeyFileError      readable by group or others
          ├── KeyFileExistsError        refusing to overwrite a key file
          ├── KeyFileFormatError        not a Bukti key file
          └── WrongPassphraseError      a sealed key file did not open

Every :class:`ReceiptVerificationError` carries a stable machine-readable ``code``;
messages say what was expected and what was found.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MALFORMED_REASONS",
    "BadSignatureError",
    "FeeMismatchError",
    "InsecureKeyFileError",
    "InvalidClaimsError",
    "IssuedInFutureError",
    "KeyFileError",
    "KeyFileExistsError",
    "KeyFileFormatError",
    "KeyNotYetValidError",
    "KeyValidityError",
    "KeyringError",
    "MalformedReceipt",
    "NoReceiptFoundError",
    "QrCapacityError",
    "ReceiptVerificationError",
    "ReceiptsError",
    "RetiredKeyError",
    "ShortCodeError",
    "TrustListError",
    "UnknownKeyError",
    "WrongPassphraseError",
]

#: Every reason a :class:`MalformedReceipt` may carry; its code is ``malformed.<reason>``.
MALFORMED_REASONS: Final[frozenset[str]] = frozenset(
    {
        "bad-base32",  # the text form is not unpadded RFC 4648 Base32
        "too-large",  # more bytes than any receipt may have
        "not-cbor",  # not well-formed CBOR (RFC 8949 §3)
        "truncated",  # the bytes end inside a data item
        "trailing-bytes",  # bytes after the one top-level data item
        "non-canonical",  # not deterministic CBOR (RFC 8949 §4.2.1)
        "duplicate-key",  # a map repeats a key (RFC 8949 §5.6)
        "float",  # a floating-point value (the format has none)
        "unsupported-type",  # a simple value, nested tag or other type the format lacks
        "wrong-tag",  # not tagged 18, COSE_Sign1 (RFC 9052 §4.2)
        "structure",  # the COSE_Sign1 array does not have the required shape
        "wrong-alg",  # alg is not EdDSA (-8)
        "kid-missing",  # no kid in the protected header
        "kid-unprotected",  # kid (or anything) in the unprotected header
        "unknown-header",  # a protected header label the format does not define
        "unsupported-version",  # claim 1 is not a known format version
        "missing-claim",  # a required claim key is absent
        "unknown-claim",  # a claim key the format does not define
        "invalid-claim",  # a claim of the wrong type or outside its range
    }
)


class ReceiptsError(Exception):
    """Base of every error raised by :mod:`receipts`."""


class ReceiptVerificationError(ReceiptsError):
    """A receipt failed verification. ``code`` is stable and safe to show or match on."""

    code: str = "invalid"


class MalformedReceipt(ReceiptVerificationError):  # noqa: N818 (name fixed by the receipts API)
    """The bytes are not a well-formed Bukti receipt; ``reason`` is one of MALFORMED_REASONS."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in MALFORMED_REASONS:
            raise ValueError(f"unknown malformed-receipt reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.code = f"malformed.{reason}"


class UnknownKeyError(ReceiptVerificationError):
    """The receipt's key id names no receipts key in the trust list."""

    code = "unknown-key"

    def __init__(self, kid: bytes) -> None:
        super().__init__(f"key id {kid.hex()} is not a receipts key in the trust list")
        self.kid = kid


class BadSignatureError(ReceiptVerificationError):
    """The Ed25519 signature does not verify under the key the receipt names."""

    code = "bad-signature"


class KeyValidityError(ReceiptVerificationError):
    """The signing key was not valid at the receipt's issued-at time."""


class RetiredKeyError(KeyValidityError):
    """A retired key signed a receipt dated at or after its retirement."""

    code = "retired-key"


class KeyNotYetValidError(KeyValidityError):
    """A key signed a receipt dated before the key's validity period began."""

    code = "key-not-yet-valid"


class IssuedInFutureError(ReceiptVerificationError):
    """The receipt claims an issued-at time later than the time of the check."""

    code = "issued-in-future"


class FeeMismatchError(ReceiptVerificationError):
    """A normal receipt charges other than the official fee without a waiver reference."""

    code = "fee-mismatch"


class NoReceiptFoundError(ReceiptVerificationError):
    """The input (text, photo or PDF) holds nothing that looks like a receipt."""

    code = "no-receipt-found"


class InvalidClaimsError(ReceiptsError, ValueError):
    """Claims given for signing break a rule of the receipt format."""


class ShortCodeError(ReceiptsError, ValueError):
    """A typed verification code has the wrong length, characters or check character."""


class QrCapacityError(ReceiptsError):
    """The receipt URL needs a larger QR version than the format allows."""


class KeyringError(ReceiptsError):
    """A key operation would break a keyring rule (duplicate key, retiring twice, …)."""


class TrustListError(ReceiptsError):
    """A trust list document is not well formed or contradicts itself."""


class KeyFileError(ReceiptsError):
    """A private key file cannot be written or used."""


class InsecureKeyFileError(KeyFileError):
    """A private key file is readable or writable by group or others."""


class KeyFileExistsError(KeyFileError):
    """A key file already exists at the target path; keys are never overwritten."""


class KeyFileFormatError(KeyFileError):
    """The file is not a Bukti private key file of a known version."""


class WrongPassphraseError(KeyFileError):
    """A sealed key file did not open with the passphrase given."""
