"""``schedule.published`` bodies: inline, or committed by SHA-256."""

import copy
import hashlib
from typing import Any

import pytest

from ledger.encoding import canonical_json
from ledger.schedule import (
    DocumentDigestError,
    MissingDocumentError,
    PublicationError,
    default_schedule,
    document_bytes,
    document_sha256,
    publication_body,
    publication_from_body,
    version_to_mapping,
)
from ledger.schedule.publication import Storage
from tests.schedule.builders import fixed, version


def test_inline_body_holds_the_whole_canonical_document() -> None:
    doc = default_schedule()
    body = publication_body(doc, "admin.bapenda")
    assert body["storage"] == "inline"
    assert body["document"] == version_to_mapping(doc)
    assert body["sha256"] == hashlib.sha256(document_bytes(doc)).hexdigest()
    assert body["sha256"] == document_sha256(doc)
    assert body["size"] == len(document_bytes(doc))
    assert body["version"] == "bekasi-2024.1"
    assert body["effective_from"] == "2024-01-01T00:00"
    assert body["publisher"] == "admin.bapenda"
    canonical_json(body)  # in the ledger data model: no floats, no nulls
    read = publication_from_body(body)
    assert read.version == doc
    assert read.storage is Storage.INLINE


def test_large_document_is_committed_by_digest() -> None:
    doc = default_schedule()
    body = publication_body(doc, "admin", max_inline_bytes=100)
    assert body["storage"] == "sha256"
    assert "document" not in body
    documents = {document_sha256(doc): document_bytes(doc)}
    read = publication_from_body(body, documents)
    assert read.version == doc
    assert read.storage is Storage.SHA256


def test_many_items_exceed_the_inline_limit() -> None:
    items = [fixed(f"UJI-A-{i:04d}", amount=i, name="x" * 200) for i in range(300)]
    doc = version(*items)
    assert len(document_bytes(doc)) > 60_000
    assert publication_body(doc, "admin")["storage"] == "sha256"


def test_missing_document_is_named() -> None:
    body = publication_body(default_schedule(), "admin", max_inline_bytes=0)
    with pytest.raises(MissingDocumentError, match=body["sha256"]):
        publication_from_body(body, {})


def test_attack_substituted_document_is_detected() -> None:
    body = publication_body(default_schedule(), "admin", max_inline_bytes=0)
    forged = version(fixed(amount=1), id="bekasi-2024.1")
    with pytest.raises(DocumentDigestError, match="expected document SHA-256"):
        publication_from_body(body, {body["sha256"]: document_bytes(forged)})


def test_attack_edited_inline_document_is_detected() -> None:
    body = publication_body(default_schedule(), "admin")
    edited: dict[str, Any] = copy.deepcopy(body)
    edited["document"]["items"][3]["tariff"]["amount"] = 20_000
    with pytest.raises(DocumentDigestError):
        publication_from_body(edited)


def test_attack_non_canonical_inline_document_is_refused() -> None:
    body = publication_body(default_schedule(), "admin")
    edited: dict[str, Any] = copy.deepcopy(body)
    edited["document"]["items"][8]["tariff"]["constants"]["Ilo"] = "0.0050"
    with pytest.raises(PublicationError, match="not in canonical form"):
        publication_from_body(edited)


def test_attack_body_naming_another_version_is_refused() -> None:
    body = publication_body(default_schedule(), "admin")
    body["version"] = "bekasi-2099.1"
    with pytest.raises(PublicationError, match=r"the document is 'bekasi-2024\.1'"):
        publication_from_body(body)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("format", 2, "expected format 1"),
        ("storage", "zip", "'inline' or 'sha256'"),
        ("publisher", "", "publisher"),
        ("size", "12", "'size' as int"),
        ("extra", 1, "expected fields"),
    ],
)
def test_malformed_bodies(key: str, value: object, fragment: str) -> None:
    body = publication_body(default_schedule(), "admin")
    body[key] = value
    with pytest.raises(PublicationError, match=fragment):
        publication_from_body(body)


def test_publisher_is_required() -> None:
    with pytest.raises(PublicationError, match="publisher"):
        publication_body(default_schedule(), " ")
