"""``python -m receipts.vectors --write | --check``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from receipts.vectors import VECTORS_PATH, build_vectors, check_vectors


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m receipts.vectors",
        description="Regenerate or check receipts/vectors/receipts.json.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the vectors file")
    mode.add_argument("--check", action="store_true", help="exit 1 if the file would change")
    args = parser.parse_args(argv)
    if args.write:
        VECTORS_PATH.write_bytes(build_vectors())
        print(f"wrote {VECTORS_PATH.name}")
        return 0
    problems = check_vectors()
    for problem in problems:
        print(f"drift: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{VECTORS_PATH.name} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
