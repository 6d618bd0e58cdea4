"""Password rules (OWASP ASVS 6.2) and hashing."""

import pytest

from app.accounts.passwords import password_problem
from app.security import hash_password, verify_password


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("a" * 11, False),
        ("abcdefghijkl", True),  # 12 characters, no composition rules
        ("x" * 64, True),
        ("é" * 128, True),
        ("y" * 129, False),
        ("expert@example.org", False),  # the email
        ("EXPERT@example.org", False),
        ("qwerty123456", False),  # among the most common
        ("Q1w2e3r4t5y6", False),
    ],
)
def test_password_rules(password, ok):
    assert (password_problem(password, "expert@example.org") is None) is ok


def test_password_is_checked_exactly_as_typed():
    stored = hash_password("  spaces around it  ")
    assert verify_password("  spaces around it  ", stored)
    assert not verify_password("spaces around it", stored)
    long_one = "z" * 100
    assert not verify_password("z" * 99, hash_password(long_one))


def test_hash_is_argon2id_with_owasp_parameters():
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_broken_hash_verifies_as_false_not_an_error():
    assert not verify_password("anything at all", "not-a-hash")
