"""A writer process for the crash test: appends in a loop and reports each acknowledgement.

Run as ``python -m tests.storage.crash_writer URL``. Four threads append receipts through
one :class:`LogStore` (so group-commit batches are in flight when the process is killed);
after each acknowledged append, ``<seq> <leaf hash hex>`` is printed and flushed.
"""

from __future__ import annotations

import hashlib
import sys
import threading

from ledger.note import NoteSigner
from ledger.storage import AppendRequest, LogStore, create_engine_for

ORIGIN = "test.bukti.example/log"
SEED = hashlib.sha256(b"bukti test log key").digest()
THREADS = 4


def main(url: str) -> None:
    engine = create_engine_for(url)
    store = LogStore(engine, signer=NoteSigner(ORIGIN, SEED), origin=ORIGIN)
    out = threading.Lock()

    def writer(name: str) -> None:
        n = 0
        while True:
            body = {"counter": name, "n": n, "fee": 10_000}
            entry = store.append(AppendRequest("receipt.issued", 1_735_664_400_000 + n, body))
            with out:
                sys.stdout.write(f"{entry.seq} {entry.leaf_hash.hex()}\n")
                sys.stdout.flush()
            n += 1

    threads = [
        threading.Thread(target=writer, args=(f"L{i}",), daemon=True) for i in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(sys.argv[1])
