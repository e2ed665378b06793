"""Background jobs and their files, stored in the database so that any machine can run any job and
results outlive the process that made them.

A :class:`Job` is classified like its subject (the level of the rows an import writes, the edition of a
report, the submitter's clearance for an export that may hold anything they can see), and written through
the access guard like every record: a user creates and updates only jobs at or below their clearance, and a
focal person only for their own entity. Files (:class:`JobArtifact`) carry their job's level.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.access.principal import Role
from nigran.storage.base import Base, Timestamped


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED)


class Job(Classified, Timestamped, Base):
    __tablename__ = "job"
    #: every signed-in role may run work on its own behalf; what the work may touch is the task's business
    __write_roles__ = frozenset(Role)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default=JobState.QUEUED.value, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(400), default="")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(80))
    #: the submitter's entity at submission (a focal person's jobs are written for that entity)
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the run that holds the job (a fresh token per claim): a second delivery or a stale runner finds
    #: another token and leaves the job alone
    claim: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: what went wrong, for the user (never a traceback); ``problems`` lists every problem of bad input
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    #: a small summary of the outcome (counts, the output's name), shown with the job
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    artifacts: Mapped[list[JobArtifact]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobArtifact.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads a plain dict

    def owning_entity_ids(self) -> tuple[int, ...]:
        return (self.entity_id,) if self.entity_id is not None else ()

    def output(self) -> JobArtifact | None:
        """The job's result file, if it made one."""
        return next((a for a in self.artifacts if a.role == ArtifactRole.OUTPUT.value), None)


class ArtifactRole(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class JobArtifact(Classified, Timestamped, Base):
    __tablename__ = "job_artifact"
    __write_roles__ = frozenset(Role)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # listings never load the bytes

    job: Mapped[Job] = relationship(back_populates="artifacts")

    def owning_entity_ids(self) -> tuple[int, ...]:
        return self.job.owning_entity_ids() if self.job is not None else ()

    def classification_floor(self) -> Classification:
        return (
            Classification.parse(self.job.classification) if self.job is not None else Classification.PUBLIC
        )
