"""Legal Expert Forum."""
