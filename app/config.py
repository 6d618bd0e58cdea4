"""Settings, read once from the environment (prefix FORUM_)."""

import os
import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORUM_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""
    mail_from: str = "Legal Expert Forum <no-reply@localhost>"
    site_name: str = "Legal Expert Forum"
    max_upload_mb: int = 25
    # Search ranks, counts and facets the newest N matches: bounded work for common words.
    search_window: int = Field(default=1000, ge=20)
    # SQLite: the newest N posts are also kept in a small index of their own, where a common word's
    # window is ranked at a fraction of the cost (0: off). See app/search/index.py.
    search_recent: int = Field(default=50_000, ge=0)
    # More thesaurus groups (the shape of app/search/data/thesaurus.json), added to ours.
    search_thesaurus: Path | None = None

    invitation_days: int = 7
    # Read notifications older than this many days are deleted by `forum notifications prune`
    # (unread ones are kept however old); 0 keeps them all.
    notification_retention_days: int = Field(default=180, ge=0)
    reset_minutes: int = 60
    session_idle_minutes: int = Field(default=12 * 60, ge=1)
    session_absolute_days: int = Field(default=30, ge=1)

    # Rate limits: (attempts, window in seconds).
    signin_account_limit: int = 5
    signin_address_limit: int = 30
    signin_window_seconds: int = 15 * 60
    invitation_limit_per_day: int = 50
    reset_limit_per_hour: int = 3

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'forum.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        # Read once: this runs for every CSRF token a page renders.
        self.secret_key = self._load_or_create_secret_key()
        return self.secret_key

    def _load_or_create_secret_key(self) -> str:
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            # 0600 and O_EXCL: other local users cannot read it, and of two workers starting
            # at once only one writes it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key)
        return key


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: those the app was created with, else the environment's."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    global _current
    _current = settings
    return settings
