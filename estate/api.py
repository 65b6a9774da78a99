"""The public face of ``estate``: what the composition root and its entry points may use.

Nothing outside ``estate`` imports its other modules (a test walks the imports to prove it).
Steps that write take a :class:`notary.work.UnitOfWork` first (``Runtime.run``); the queries
here take one too (``Runtime.query``).
"""

from __future__ import annotations

from estate import services as _services
from estate.apportion import METHOD, apportion
from estate.errors import (
    BadQuantity,
    CommunityExists,
    CommunityNotFound,
    InvalidSetting,
    NoSettingChanged,
    RollRejected,
    SettingChangeForbidden,
    UndecryptableData,
)
from estate.personal import DataCipher, load_cipher, mask_name
from estate.quantities import Fen, format_hundredths, parse_hundredths
from estate.roll import REQUIRED_COLUMNS as ROLL_COLUMNS
from estate.roll import RollProblem, RollRow, format_problem, parse_roll
from estate.services import (
    CommunityInfo,
    ImportSummary,
    buildings_of,
    create_community,
    find_community,
    import_roll,
    import_roll_file,
)
from estate.settings import (
    EMERGENCY_PUBLISH_DAYS_MAX,
    EMERGENCY_PUBLISH_DAYS_MIN,
    HOLDER_SETTINGS,
    MAX_BASIS,
    PUBLICITY_DAYS_MAX,
    PUBLICITY_DAYS_MIN,
    RULE_SETTINGS,
    CommunitySettings,
    SettingChangeInfo,
    change_settings,
    current_settings,
    settings_history,
)
from estate.tables import (
    MAX_FILE_BYTES,
    Table,
    UnreadableTable,
    csv_cells,
    neutralise_formula,
    read_table,
    write_table,
)
from notary.work import UnitOfWork


def export_roll(uow: UnitOfWork, community_code: str, fmt: str = "csv") -> bytes:
    """The community's register as a roll file (``csv`` or ``xlsx``) that imports back."""
    return _services.export_roll(uow.session, community_code, fmt)


__all__ = [
    "EMERGENCY_PUBLISH_DAYS_MAX",
    "EMERGENCY_PUBLISH_DAYS_MIN",
    "HOLDER_SETTINGS",
    "MAX_BASIS",
    "MAX_FILE_BYTES",
    "METHOD",
    "PUBLICITY_DAYS_MAX",
    "PUBLICITY_DAYS_MIN",
    "ROLL_COLUMNS",
    "RULE_SETTINGS",
    "BadQuantity",
    "CommunityExists",
    "CommunityInfo",
    "CommunityNotFound",
    "CommunitySettings",
    "DataCipher",
    "Fen",
    "ImportSummary",
    "InvalidSetting",
    "NoSettingChanged",
    "RollProblem",
    "RollRejected",
    "RollRow",
    "SettingChangeForbidden",
    "SettingChangeInfo",
    "Table",
    "UndecryptableData",
    "UnreadableTable",
    "apportion",
    "buildings_of",
    "change_settings",
    "create_community",
    "csv_cells",
    "current_settings",
    "export_roll",
    "find_community",
    "format_hundredths",
    "format_problem",
    "import_roll",
    "import_roll_file",
    "load_cipher",
    "mask_name",
    "neutralise_formula",
    "parse_hundredths",
    "parse_roll",
    "read_table",
    "settings_history",
    "write_table",
]
