"""The test vectors published in docs/ledger-format.md, checked byte for byte."""

from __future__ import annotations

from ledger import (
    ZERO_HASH,
    Checkpoint,
    Entry,
    LogVerifier,
    NoteSigner,
    NoteVerifier,
    decode_entry_bundle,
    encode_entry,
    encode_entry_bundle,
    leaf_hash,
    root_from_leaves,
    sign_checkpoint,
)

ENTRY_0 = (
    b'{"at":1767200400000,"body":{"address_area":"Cikarang Pusat","by":"u-0001",'
    b'"name":"Dinas Kependudukan dan Pencatatan Sipil","office":"32.16.20-DUKCAPIL"},'
    b'"kind":"office.added","prev":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"seq":0}'
)
LEAF_0 = "862c92c01c7fa10c7eabe38adaf6364b7e950100e5747aae3fd1446fb98030a1"
ENTRY_1 = (
    b'{"at":1767200460000,"body":{"by":"u-0002","charged":15000,"counter":"L01",'
    b'"inputs":{"luas_m2":4},"office":"32.16.20-DUKCAPIL","official_fee":15000,'
    b'"receipt_no":"32.16.20-DUKCAPIL/L01/000001","schedule":"2026.1","service":"RJU-PASAR-01",'
    b'"verdict":"ok"},"kind":"receipt.issued",'
    b'"prev":"862c92c01c7fa10c7eabe38adaf6364b7e950100e5747aae3fd1446fb98030a1","seq":1}'
)
LEAF_1 = "992033ecae1980ed270967c91fb4d35d6943d7a76f2751b5ccbcc848cde43a72"
ROOT_2 = "6e3171edc47a8d005c7c60891ea3a6ea9799e942aa26949e1270fce2170d0987"
TEST_SIGNER = NoteSigner("bekasikab.go.id/bukti", bytes(range(32)))
TEST_VKEY = "bekasikab.go.id/bukti+8b9924f7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
CHECKPOINT_2 = (
    "bekasikab.go.id/bukti\n"
    "2\n"
    "bjFx7cR6jQBcfGCJHqOm6peZ6UKqJpSeEnD84hcNCYc=\n"
    "\n"
    "— bekasikab.go.id/bukti i5kk92VSGbcBx0iPdflHEIpEoaSKYure11hBoR41Rt4FMtoQjQBBfBIZaIoJPlDTKa3+"
    "bs7wlKCl4eWI0fLpzosOEgE=\n"
).encode()

CLASSIC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CLASSIC_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]


def test_entry_vectors() -> None:
    first = Entry(
        0,
        "office.added",
        1_767_200_400_000,
        ZERO_HASH,
        {
            "office": "32.16.20-DUKCAPIL",
            "name": "Dinas Kependudukan dan Pencatatan Sipil",
            "address_area": "Cikarang Pusat",
            "by": "u-0001",
        },
    )
    assert encode_entry(first) == ENTRY_0
    assert leaf_hash(ENTRY_0).hex() == LEAF_0
    second = Entry(
        1,
        "receipt.issued",
        1_767_200_460_000,
        bytes.fromhex(LEAF_0),
        {
            "receipt_no": "32.16.20-DUKCAPIL/L01/000001",
            "office": "32.16.20-DUKCAPIL",
            "counter": "L01",
            "by": "u-0002",
            "service": "RJU-PASAR-01",
            "schedule": "2026.1",
            "inputs": {"luas_m2": 4},
            "official_fee": 15_000,
            "charged": 15_000,
            "verdict": "ok",
        },
    )
    assert encode_entry(second) == ENTRY_1
    assert leaf_hash(ENTRY_1).hex() == LEAF_1


def test_checkpoint_vector() -> None:
    root = root_from_leaves([bytes.fromhex(LEAF_0), bytes.fromhex(LEAF_1)])
    assert root.hex() == ROOT_2
    assert TEST_SIGNER.verifier().to_string() == TEST_VKEY
    assert sign_checkpoint(Checkpoint("bekasikab.go.id/bukti", 2, root), TEST_SIGNER).note == (
        CHECKPOINT_2
    )


def test_entry_bundle_vector() -> None:
    bundle = encode_entry_bundle([ENTRY_0, ENTRY_1])
    assert bundle[:2].hex() == "0101"  # 257, the length of entry 0
    assert len(bundle) == 2 + 257 + 2 + 358
    assert decode_entry_bundle(bundle, width=2) == [ENTRY_0, ENTRY_1]


def test_the_vector_log_verifies() -> None:
    verifier = LogVerifier("bekasikab.go.id/bukti", [NoteVerifier.from_string(TEST_VKEY)])
    verifier.add_checkpoint(CHECKPOINT_2)
    verifier.add_entry(0, ENTRY_0)
    verifier.add_entry(1, ENTRY_1)
    report = verifier.finish()
    assert report.ok
    assert report.checkpoints_verified == 1


def test_classic_roots_of_every_size() -> None:
    leaves = [leaf_hash(bytes.fromhex(h)) for h in CLASSIC_LEAVES]
    assert [root_from_leaves(leaves[:n]).hex() for n in range(1, 9)] == CLASSIC_ROOTS
