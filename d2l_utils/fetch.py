"""``python -m d2l_utils.fetch``: download and verify the data the book needs, then exit."""
from __future__ import annotations

import sys

from . import data


def main() -> int:
    try:
        folder = data.fetch_mnist()
    except data.DataUnavailableError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"MNIST ready (checksums verified) in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
