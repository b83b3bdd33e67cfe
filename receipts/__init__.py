"""Signed QR receipts: format, keys, QR code, PDF and offline verification.

A receipt is a COSE_Sign1 message (RFC 9052) signed with Ed25519 over a deterministic
CBOR map of claims (``docs/receipt-format.md``). Issue one with :func:`sign_receipt`,
print it with :func:`render_pdf`, and check it anywhere with :func:`verify_receipt`
against a :class:`TrustList` (``docs/keys.md``). Every verification failure is a
:class:`ReceiptVerificationError` with a stable ``code``.
"""

from receipts.claims import ReceiptClaims, ReceiptKind, commitment_from_leaf_hash
from receipts.cose import sign_receipt
from receipts.errors import (
    BadSignatureError,
    FeeMismatchError,
    InsecureKeyFileError,
    InvalidClaimsError,
    IssuedInFutureError,
    KeyFileError,
    KeyFileExistsError,
    KeyFileFormatError,
    KeyNotYetValidError,
    KeyringError,
    KeyValidityError,
    MalformedReceipt,
    NoReceiptFoundError,
    QrCapacityError,
    ReceiptsError,
    ReceiptVerificationError,
    RetiredKeyError,
    ShortCodeError,
    TrustListError,
    UnknownKeyError,
    WrongPassphraseError,
)
from receipts.extract import extract_payload
from receipts.keyfile import read_key_file, write_key_file
from receipts.keys import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    Keyring,
    KeyStatus,
    key_added_body,
    key_retired_body,
    receipt_key_id,
)
from receipts.money import format_rupiah, rupiah_in_words, terbilang
from receipts.pdf import PaperLayout, ReceiptRenderModel, render_pdf
from receipts.qr import TARGET_QR_VERSION, QrCode, receipt_qr, receipt_url
from receipts.shortcode import normalize_short_code, short_code
from receipts.trustlist import TrustList, build_trust_list
from receipts.verify import VerifiedReceipt, verify_receipt
from receipts.wib import format_wib_long

__all__ = [
    "TARGET_QR_VERSION",
    "BadSignatureError",
    "FeeMismatchError",
    "InsecureKeyFileError",
    "InvalidClaimsError",
    "IssuedInFutureError",
    "KeyFileError",
    "KeyFileExistsError",
    "KeyFileFormatError",
    "KeyNotYetValidError",
    "KeyPair",
    "KeyPurpose",
    "KeyRecord",
    "KeyStatus",
    "KeyValidityError",
    "Keyring",
    "KeyringError",
    "MalformedReceipt",
    "NoReceiptFoundError",
    "PaperLayout",
    "QrCapacityError",
    "QrCode",
    "ReceiptClaims",
    "ReceiptKind",
    "ReceiptRenderModel",
    "ReceiptVerificationError",
    "ReceiptsError",
    "RetiredKeyError",
    "ShortCodeError",
    "TrustList",
    "TrustListError",
    "UnknownKeyError",
    "VerifiedReceipt",
    "WrongPassphraseError",
    "build_trust_list",
    "commitment_from_leaf_hash",
    "extract_payload",
    "format_rupiah",
    "format_wib_long",
    "key_added_body",
    "key_retired_body",
    "normalize_short_code",
    "read_key_file",
    "receipt_key_id",
    "receipt_qr",
    "receipt_url",
    "render_pdf",
    "rupiah_in_words",
    "short_code",
    "sign_receipt",
    "terbilang",
    "verify_receipt",
    "write_key_file",
]
