"""Signed notes (C2SP signed-note): known answer, every byte flipped, every malformed case."""

from __future__ import annotations

import base64

import pytest

from ledger.errors import NoteError, NoteFormatError, NoteSignatureError, UnknownKeyError
from ledger.note import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_note,
    sign_note,
    verifier_key_string,
)

# The known answer of the C2SP signed-note reference implementation.
KNOWN_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
KNOWN_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXm"
    "RKuwHjG1Yu72IneyaQM=\n"
).encode()

SIGNER = NoteSigner("bekasikab.go.id/bukti", bytes(range(32)))
WITNESS = NoteSigner("saksi.example/w1", bytes(range(100, 132)))


def test_known_answer_verifies() -> None:
    verifier = NoteVerifier.from_string(KNOWN_VKEY)
    note = open_note(KNOWN_NOTE, [verifier])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id.hex()) for s in note.signatures] == [("example.com/foo", "530d903a")]
    assert note.unverified == ()
    assert verifier.to_string() == KNOWN_VKEY
    assert key_id("example.com/foo", verifier.public_key).hex() == "530d903a"


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_attack_every_flipped_byte_of_the_known_note_fails(mask: int) -> None:
    verifier = NoteVerifier.from_string(KNOWN_VKEY)
    for i in range(len(KNOWN_NOTE)):
        forged = bytearray(KNOWN_NOTE)
        forged[i] ^= mask
        with pytest.raises(NoteError):
            open_note(bytes(forged), [verifier])


def test_sign_and_open_round_trip() -> None:
    text = "bekasikab.go.id/bukti\n5\nAAAA\n"
    note = sign_note(text, [SIGNER, WITNESS])
    opened = open_note(note, [SIGNER.verifier(), WITNESS.verifier()])
    assert opened.text == text
    assert [s.name for s in opened.signatures] == [SIGNER.name, WITNESS.name]
    assert all(len(s.signature) == 64 for s in opened.signatures)


def test_signature_is_deterministic_known_answer() -> None:
    note = sign_note("halo\n", [SIGNER])
    assert note == sign_note("halo\n", [SIGNER])
    line = note.decode().split("\n")[2]
    assert line.startswith("— bekasikab.go.id/bukti ")
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[:4] == SIGNER.key_id
    SIGNER.verifier().verify(b"halo\n", raw[4:])


def test_unknown_signatures_are_ignored_and_listed() -> None:
    note = sign_note("teks\n", [WITNESS, SIGNER])
    opened = open_note(note, [SIGNER.verifier()])
    assert [s.name for s in opened.signatures] == [SIGNER.name]
    assert opened.unverified == ((WITNESS.name, WITNESS.key_id),)


def test_no_known_signature_is_unknown_key() -> None:
    note = sign_note("teks\n", [WITNESS])
    with pytest.raises(UnknownKeyError, match="no signature by a known key"):
        open_note(note, [SIGNER.verifier()])


def test_attack_same_name_other_key_is_not_trusted() -> None:
    impostor = NoteSigner(SIGNER.name, bytes(32))
    note = sign_note("teks\n", [impostor])
    with pytest.raises(UnknownKeyError):
        open_note(note, [SIGNER.verifier()])


def test_attack_known_key_with_bad_signature_rejects_the_note() -> None:
    note = sign_note("teks\n", [SIGNER, WITNESS])
    forged = note.replace(b"teks\n", b"teKs\n")
    with pytest.raises(NoteSignatureError, match="does not verify"):
        open_note(forged, [WITNESS.verifier()])


def test_attack_signature_copied_from_another_note_fails() -> None:
    good = sign_note("size 5\n", [SIGNER]).decode()
    other = sign_note("size 6\n", [SIGNER]).decode()
    spliced = (other.split("\n\n")[0] + "\n\n" + good.split("\n\n")[1]).encode()
    with pytest.raises(NoteSignatureError):
        open_note(spliced, [SIGNER.verifier()])


def _sig_line(signer: NoteSigner, text: str) -> str:
    return sign_note(text, [signer]).decode().split("\n\n")[1]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (b"teks\n\n\xff\n", "not UTF-8"),
        (b"teks\n\x01\n" + _sig_line(SIGNER, "teks\n").encode(), "control character U\\+0001"),
        (("teks\n" + _sig_line(SIGNER, "teks\n")).encode(), "no blank line"),
        (("teks\n\n" + _sig_line(SIGNER, "teks\n")[:-1]).encode(), "must end with a newline"),
        (("teks\n\n" + _sig_line(SIGNER, "teks\n") + "\n").encode(), "exactly one newline"),
        (("teks\n\n\n" + _sig_line(SIGNER, "teks\n")).encode(), "exactly one newline"),
        (("teks\n\n" + _sig_line(SIGNER, "teks\n").replace("—", "-")).encode(), "em dash"),
        (("teks\n\n" + _sig_line(SIGNER, "teks\n").replace("— ", "—")).encode(), "em dash"),
        (("teks\n\n" + _sig_line(SIGNER, "teks\n").replace(" ", "  ", 1)).encode(), "<name>"),
        (("teks\n\n" + _sig_line(SIGNER, "teks\n").replace("\n", " \n")).encode(), "<name>"),
        (("teks\n\n— " + SIGNER.name + " bm90IGJhc2U2NA=\n").encode(), "not standard base64"),
        (("teks\n\n— " + SIGNER.name + " *@#!\n").encode(), "not standard base64"),
        (("teks\n\n— nama " + base64.b64encode(bytes(67)).decode() + "\n").encode(), "at least 68"),
        (("teks\n\n— na+ma " + base64.b64encode(bytes(68)).decode() + "\n").encode(), "'\\+'"),
        (b"teks\n\n", "exactly one newline"),
        (b"", "must end with a newline"),
    ],
)
def test_malformed_notes_are_format_errors(note: bytes, message: str) -> None:
    with pytest.raises(NoteFormatError, match=message):
        open_note(note, [SIGNER.verifier()])


def test_non_canonical_base64_padding_bits_are_rejected() -> None:
    note = sign_note("teks\n", [SIGNER]).decode()
    head, b64 = note.rsplit(" ", 1)
    raw = base64.b64decode(b64)
    # 68 bytes encode with one padding character; the last data character carries 2 pad bits.
    assert b64.endswith("=\n")
    assert not b64.endswith("==\n")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = b64[-3]
    tweaked = b64[:-3] + alphabet[alphabet.index(last) | 1] + "=\n"
    assert base64.b64decode(tweaked) == raw
    with pytest.raises(NoteFormatError, match="not canonical base64"):
        open_note((head + " " + tweaked).encode(), [SIGNER.verifier()])


def test_too_many_signatures_are_rejected() -> None:
    line = _sig_line(WITNESS, "teks\n")
    ok = ("teks\n\n" + _sig_line(SIGNER, "teks\n") + line * (MAX_SIGNATURES - 1)).encode()
    assert open_note(ok, [SIGNER.verifier()]).unverified == ((WITNESS.name, WITNESS.key_id),)
    too_many = ("teks\n\n" + _sig_line(SIGNER, "teks\n") + line * MAX_SIGNATURES).encode()
    with pytest.raises(NoteFormatError, match="101 signatures; the limit is 100"):
        open_note(too_many, [SIGNER.verifier()])


def test_oversize_note_is_rejected() -> None:
    text = "x" * MAX_NOTE_BYTES + "\n"
    with pytest.raises(NoteFormatError, match="the limit is 1000000"):
        sign_note(text, [SIGNER])
    with pytest.raises(NoteFormatError, match="the limit is 1000000"):
        open_note(text.encode() + b"\n" + _sig_line(SIGNER, "x\n").encode(), [SIGNER.verifier()])


def test_text_may_contain_blank_lines() -> None:
    text = "baris satu\n\nbaris tiga\n"
    assert open_note(sign_note(text, [SIGNER]), [SIGNER.verifier()]).text == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tanpa baris baru", "must end with a newline"),
        ("dua baris baru\n\n", "exactly one newline"),
        ("tab\there\n", "control character U\\+0009"),
        ("cr\r\n", "control character U\\+000D"),
    ],
)
def test_sign_note_rejects_bad_text(text: str, message: str) -> None:
    with pytest.raises(NoteFormatError, match=message):
        sign_note(text, [SIGNER])


def test_sign_note_needs_a_signer() -> None:
    with pytest.raises(NoteFormatError, match="at least one signer"):
        sign_note("teks\n", [])


@pytest.mark.parametrize("name", ["", "dua kata", "a+b", "tab\tname", "nbsp\u00a0name"])
def test_key_names_are_validated(name: str) -> None:
    with pytest.raises(NoteFormatError):
        NoteSigner(name, bytes(32))
    with pytest.raises(NoteFormatError):
        NoteVerifier(name, bytes(32))


def test_key_sizes_are_validated() -> None:
    with pytest.raises(NoteFormatError, match="seed must be 32 bytes"):
        NoteSigner("nama", bytes(31))
    with pytest.raises(NoteFormatError, match="must be 32 bytes, found 33"):
        NoteVerifier("nama", bytes(33))


def test_signer_repr_does_not_reveal_the_seed() -> None:
    assert bytes(range(32)).hex() not in repr(SIGNER)
    assert repr(bytes(range(32))) not in repr(SIGNER)


def test_verifier_string_round_trip() -> None:
    vkey = verifier_key_string(SIGNER.name, SIGNER.public_key)
    assert vkey == SIGNER.verifier().to_string()
    assert vkey.startswith(f"{SIGNER.name}+{SIGNER.key_id.hex()}+")
    assert NoteVerifier.from_string(vkey) == SIGNER.verifier()


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        (KNOWN_VKEY.replace("530d903a", "530d903b"), "does not match the key"),
        (KNOWN_VKEY.replace("530d903a", "530D903A"), "8 lowercase hex"),
        (KNOWN_VKEY.replace("530d903a", "530d903"), "8 lowercase hex"),
        (KNOWN_VKEY.replace("+AekyeR", "+AgkyeR"), "algorithm must be 0x01"),
        (KNOWN_VKEY[:-4], "not standard base64|33 bytes"),
        (KNOWN_VKEY + "+extra", "not standard base64"),
        ("exa+" + KNOWN_VKEY, "8 lowercase hex"),
        ("example.com/foo", "found 1 '\\+'-separated parts"),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "non-empty"),
        (KNOWN_VKEY.replace("+Aeky", "+ Aeky"), "not standard base64"),
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str, message: str) -> None:
    with pytest.raises(NoteFormatError, match=message):
        NoteVerifier.from_string(vkey)


def test_short_signature_by_known_key_is_a_signature_error() -> None:
    kid = SIGNER.key_id
    sig = base64.b64encode(kid + bytes(65)).decode()
    note = f"teks\n\n— {SIGNER.name} {sig}\n".encode()
    with pytest.raises(NoteSignatureError, match="must be 64 bytes, found 65"):
        open_note(note, [SIGNER.verifier()])
