"""The shared password's stored form: a salted, slow hash (scrypt), never the password.

A leaked unsalted SHA-256 is reversed by a dictionary in seconds; scrypt with a random salt
makes each guess cost memory and tens of milliseconds, and the salt (new for every hash made,
so each install has its own) stops one table of guesses serving every install.

`python -m rungs_ui.password` asks for the password twice and prints the value to store as
`password_hash` in .streamlit/secrets.toml, or in the RUNGS_PASSWORD_HASH environment
variable. The form is `scrypt:N:r:p:<salt hex>:<hash hex>`, colons so it needs no quoting
in a shell. No Streamlit here: the command is quick to start.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import sys
from dataclasses import dataclass

SCHEME = "scrypt"
# scrypt's cost: n=2**14, r=8 needs 16 MiB and about 50 ms a guess on a laptop.
COST_N, BLOCK_R, PARALLEL_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
# Bounds on a stored hash's parameters: weaker is refused, and far stronger would let a
# mistyped setting make every sign-in take minutes or all the memory.
MIN_N, MAX_N, MAX_R, MAX_P = 2**14, 2**20, 32, 16
FORMAT = f"{SCHEME}:N:r:p:<salt hex>:<hash hex>"
HOW_TO_MAKE = "python -m rungs_ui.password"


class BadPasswordHash(ValueError):
    """A stored password hash that is not of the form this module makes."""


@dataclass(frozen=True)
class PasswordHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def __str__(self) -> str:
        return f"{SCHEME}:{self.n}:{self.r}:{self.p}:{self.salt.hex()}:{self.digest.hex()}"

    def matches(self, password: str) -> bool:
        given = _scrypt(password, self.salt, self.n, self.r, self.p, len(self.digest))
        return hmac.compare_digest(given, self.digest)


def hash_password(password: str, salt: bytes | None = None) -> PasswordHash:
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = _scrypt(password, salt, COST_N, BLOCK_R, PARALLEL_P, HASH_BYTES)
    return PasswordHash(COST_N, BLOCK_R, PARALLEL_P, salt, digest)


def parse(stored: str) -> PasswordHash:
    """The stored value as a PasswordHash; BadPasswordHash says what is wrong with it."""
    parts = stored.strip().split(":")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise BadPasswordHash(f"it is not of the form {FORMAT}")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        raise BadPasswordHash(
            "N, r and p must be whole numbers and the salt and hash hexadecimal"
        ) from None
    if n & (n - 1) or not MIN_N <= n <= MAX_N or not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        raise BadPasswordHash(
            f"its cost is out of range (N a power of 2 from {MIN_N} to {MAX_N}, r up to "
            f"{MAX_R}, p up to {MAX_P})"
        )
    if len(salt) < SALT_BYTES or len(digest) < HASH_BYTES:
        raise BadPasswordHash(
            f"its salt or hash is too short (at least {SALT_BYTES} and {HASH_BYTES} bytes)"
        )
    return PasswordHash(n, r, p, salt, digest)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # scrypt needs about 128 * r * (n + p) bytes; OpenSSL refuses more than maxmem.
    maxmem = 128 * r * (n + p + 2) + 2**20
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=length
    )


def main() -> int:
    password = getpass.getpass("Password for the dashboard: ")
    if not password:
        print("No password given; nothing printed.", file=sys.stderr)
        return 1
    if getpass.getpass("Again: ") != password:
        print("The two passwords differ; nothing printed. Run it again.", file=sys.stderr)
        return 1
    print(
        "Store this as password_hash under [rungs] in .streamlit/secrets.toml, or in the "
        "RUNGS_PASSWORD_HASH environment variable:",
        file=sys.stderr,
    )
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
