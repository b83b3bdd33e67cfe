"""Service configuration, read from the environment with the ``BUKTI_`` prefix.

Nothing here is global: the application factory and every command build a
:class:`Settings` and pass it on.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from audit.calendar import NO_HOLIDAYS, parse_holidays


class Settings(BaseSettings):
    """All knobs of a Bukti deployment; defaults make ``make run`` work with none set."""

    model_config = SettingsConfigDict(env_prefix="BUKTI_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Keys, SQLite file, exports.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to a SQLite file in the data directory.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL printed in receipt QR codes."
    )
    origin: str = Field(default="bekasikab.go.id/bukti", description="Checkpoint origin line.")
    deposit_deadline_working_days: int = Field(default=1, ge=0, le=30)
    holidays_file: Path | None = Field(
        default=None,
        description=(
            "Public holidays and collective leave days (libur nasional, cuti bersama), one "
            "YYYY-MM-DD per line (docs/holidays.md): no working day for deposit deadlines. "
            "Without it, every Monday to Friday is a working day."
        ),
    )
    key_passphrase: str | None = Field(
        default=None, description="Passphrase sealing private key files at rest (optional)."
    )
    batch_max: int = Field(default=512, ge=1, description="Most appends in one group commit.")
    rate_limit_per_minute: int = Field(default=120, ge=1)
    session_timeout_minutes: int = Field(default=30, ge=1)
    credential_cache_ms: int = Field(
        default=2000,
        ge=0,
        le=60_000,
        description=(
            "How long a checked bearer token or session is trusted without asking the "
            "database again (0: every request asks). A revocation made in this process "
            "takes effect at once; one made by another process within this time."
        ),
    )
    tile_prefix: str = Field(default="", description="Optional prefix for the C2SP endpoints.")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins after which a user name is locked."
    )
    login_lock_minutes: int = Field(default=15, ge=1, description="How long a lock lasts.")
    trust_forwarded_for: bool = Field(
        default=False,
        description="Take the client address from X-Forwarded-For (only behind a trusted proxy).",
    )
    demo: bool = Field(
        default=True, description="`bukti init` adds the demo offices, counters and staff."
    )
    demo_file: Path | None = Field(
        default=None, description="Demo data file; defaults to the one shipped in api/data."
    )
    opentelemetry: bool = Field(
        default=False,
        description=(
            "Let FastAPI report traces, metrics and logs to the OpenTelemetry providers "
            "configured in the process (Prometheus metrics at /metrics are always on)."
        ),
    )
    log_key_name: str | None = Field(
        default=None, description="Name of the log key in checkpoints; defaults to the origin."
    )

    _holidays: frozenset[int] = PrivateAttr(default=NO_HOLIDAYS)

    @model_validator(mode="after")
    def _read_holidays(self) -> Settings:
        """Read the holiday list once, when the settings are made: a deployment with a
        missing or malformed list does not start, rather than misjudge deadlines."""
        path = self.holidays_file
        if path is not None:
            try:
                self._holidays = parse_holidays(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise ValueError(f"BUKTI_HOLIDAYS_FILE ({path}): {exc}") from exc
        return self

    @property
    def holidays(self) -> frozenset[int]:
        """The days of :attr:`holidays_file` (WIB day numbers; none without a file)."""
        return self._holidays

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bukti.sqlite3').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def trust_list_path(self) -> Path:
        """The trust list file written by ``bukti init`` and ``bukti keys``."""
        return self.data_dir / "keys.json"

    @property
    def secure_cookies(self) -> bool:
        """Session cookies carry ``Secure`` when the public URL is https."""
        return self.public_url.lower().startswith("https://")

    @property
    def normalized_tile_prefix(self) -> str:
        """``tile_prefix`` as ``""`` or ``/something`` (no trailing slash)."""
        prefix = self.tile_prefix.strip().strip("/")
        return f"/{prefix}" if prefix else ""
