"""Sectors, jurisdictions, instruments and tags: how threads are found."""

from sqlmodel import Field, SQLModel


class Sector(SQLModel, table=True):
    __tablename__ = "sector"

    id: int | None = Field(default=None, primary_key=True)
    # Slugs are stable: renaming changes the name only, so links and API clients keep working.
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)
    position: int = 0
    archived: bool = False


class Jurisdiction(SQLModel, table=True):
    __tablename__ = "jurisdiction"

    id: int | None = Field(default=None, primary_key=True)
    # ISO 3166-1 alpha-2 in capitals for countries ("FR"), a lower-case slug for regional and
    # international bodies ("european-union").
    code: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="country", max_length=20)  # country | region
    archived: bool = False


class Instrument(SQLModel, table=True):
    __tablename__ = "instrument"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=300)
    short_name: str = Field(default="", max_length=80)
    year: int | None = None
    archived: bool = False


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    # Normalised: lower-case, trimmed, inner spaces collapsed.
    name: str = Field(max_length=60, unique=True)
