"""Who a report is computed as: the edition rules, applied before any data is read.

The public edition is always gathered as :meth:`Principal.anonymous` — whoever asks for it — so it holds
PUBLIC records and aggregates of PUBLIC records only; nothing classified can leak into it through totals,
because the classified rows are never read. The classified edition is gathered as the acting user, who must
hold SECRET clearance: a partially cleared reader would get a "classified" document silently missing
records, which a committee could mistake for the whole picture.
"""

from __future__ import annotations

from datetime import date

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal
from nigran.reports.data import gather_annual
from nigran.reports.model import AnnualReport, Edition
from nigran.storage.db import Database


def edition_principal(edition: Edition, acting: Principal) -> Principal:
    if edition is Edition.PUBLIC:
        return Principal.anonymous()
    if acting.is_system or acting.clearance < Classification.SECRET:
        raise AccessDenied(
            f"the classified edition needs SECRET clearance; {acting.username} holds {acting.clearance.name} "
            "(ask for --edition public, or act as a SECRET-cleared user with --as)"
        )
    return acting


def annual_report(
    db: Database,
    acting: Principal,
    framework_code: str,
    year: int,
    edition: Edition,
    today: date | None = None,
) -> AnnualReport:
    """Gather the annual review in one read-only transaction as the edition's principal."""
    reader = edition_principal(edition, acting)
    with db.session(reader) as session:
        report = gather_annual(
            session, framework_code, year, edition=edition, reader=reader.username, today=today
        )
        session.rollback()  # a report never writes
    return report
