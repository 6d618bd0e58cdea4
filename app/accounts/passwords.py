"""Password rules after OWASP ASVS 6.2: length, not the email, not a common password; nothing else."""

import gzip
from functools import lru_cache
from pathlib import Path

from app.i18n import _

MIN_LENGTH = 12
MAX_LENGTH = 128  # ASVS asks that at least 64 be allowed.

# Django's list of 20,000 common passwords (BSD licence), from Royce Williams' breach compilation.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as file:
        return frozenset(line.strip() for line in file if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """The first rule the password breaks, as a message, or None. The password is taken exactly
    as typed: no trimming, no truncation, no composition rules."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_LENGTH)
    lowered = password.lower()
    if email and (lowered == email.lower() or lowered == email.lower().split("@")[0]):
        return _("Do not use your email address as your password.")
    if lowered in _common_passwords():
        return _("This password is among the most commonly used ones. Choose another.")
    return None
