"""Canonical type tables per dialect, as data: synonyms of one dialect map to one ColumnType.

sqlglot already folds many spellings into one `DataType.Type` (INT4 -> INT, STRING -> TEXT,
INT64 -> BIGINT); these tables finish the job with each dialect's own meaning of a type name
(BigQuery INTEGER is 64 bits, every Snowflake integer is NUMBER(38,0), Redshift VARCHAR is 256
characters long) and its defaults for omitted arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Final

from service.schema.model import TypeFamily as F


class Args(StrEnum):
    """How a type's arguments are read."""

    NONE = "none"  # arguments are ignored (MySQL display width INT(11))
    LENGTH = "length"  # (n) or (MAX): characters or bytes
    DECIMAL = "decimal"  # (precision[, scale])
    FSP = "fsp"  # (fractional-second digits) of a time or timestamp
    FLOAT_P = "float_p"  # FLOAT(p): binary digits, 1-24 single precision, 25-53 double
    ENUM = "enum"  # ('a', 'b', ...)
    NESTED = "nested"  # element types (ARRAY, MAP) or fields (STRUCT)


@dataclass(frozen=True, slots=True)
class Rule:
    """How one sqlglot type reads in a dialect: canonical name, family and argument defaults.

    `precision`/`scale`/`length` are the values used when the DDL omits the arguments;
    `max_length` is the length from which a string is as good as unbounded (Snowflake's
    VARCHAR(16777216) is its VARCHAR; newer accounts accept up to 134217728, also unbounded).
    """

    name: str
    family: F
    args: Args = Args.NONE
    bits: int | None = None
    unsigned: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    max_length: int | None = None


def _int(name: str, bits: int, unsigned: bool = False) -> Rule:
    return Rule(name, F.INTEGER, bits=bits, unsigned=unsigned)


def _str(name: str = "VARCHAR", length: int | None = None, max_length: int | None = None) -> Rule:
    return Rule(name, F.STRING, Args.LENGTH, length=length, max_length=max_length)


def _bin(name: str = "VARBINARY", length: int | None = None) -> Rule:
    return Rule(name, F.BINARY, Args.LENGTH, length=length)


def _dec(precision: int | None = None, scale: int | None = None, name: str = "DECIMAL") -> Rule:
    return Rule(name, F.DECIMAL, Args.DECIMAL, precision=precision, scale=scale)


def _ts(name: str, family: F, fsp: int | None = None) -> Rule:
    return Rule(name, family, Args.FSP, precision=fsp)


REAL = Rule("REAL", F.FLOAT, precision=32)
DOUBLE = Rule("DOUBLE", F.FLOAT, precision=64)
DECIMAL_38_0 = _dec(38, 0)

# Keys are sqlglot `DataType.Type` names. Anything absent is TypeFamily.OTHER.
GENERIC: Final[dict[str, Rule]] = {
    "TINYINT": _int("TINYINT", 8),
    "SMALLINT": _int("SMALLINT", 16),
    "MEDIUMINT": _int("MEDIUMINT", 24),
    "INT": _int("INT", 32),
    "BIGINT": _int("BIGINT", 64),
    "INT128": _int("INT128", 128),
    "INT256": _int("INT256", 256),
    "UTINYINT": _int("TINYINT", 8, True),
    "USMALLINT": _int("SMALLINT", 16, True),
    "UMEDIUMINT": _int("MEDIUMINT", 24, True),
    "UINT": _int("INT", 32, True),
    "UBIGINT": _int("BIGINT", 64, True),
    "UINT128": _int("INT128", 128, True),
    "UINT256": _int("INT256", 256, True),
    "SMALLSERIAL": _int("SMALLINT", 16),
    "SERIAL": _int("INT", 32),
    "BIGSERIAL": _int("BIGINT", 64),
    "DECIMAL": _dec(),
    "DECIMAL32": _dec(9),
    "DECIMAL64": _dec(18),
    "DECIMAL128": _dec(38),
    "DECIMAL256": _dec(76),
    "UDECIMAL": _dec(),
    "BIGDECIMAL": _dec(),
    "MONEY": Rule("MONEY", F.DECIMAL),
    "SMALLMONEY": Rule("SMALLMONEY", F.DECIMAL),
    "FLOAT": REAL,
    "DOUBLE": DOUBLE,
    "UDOUBLE": DOUBLE,
    "CHAR": _str("CHAR", 1),
    "NCHAR": _str("NCHAR", 1),
    "BPCHAR": _str("CHAR", 1),
    "VARCHAR": _str(),
    "NVARCHAR": _str("NVARCHAR"),
    "TEXT": _str(),
    "NAME": _str("VARCHAR", 63),
    "FIXEDSTRING": _str("CHAR"),
    "TINYTEXT": _str("VARCHAR", 255),
    "MEDIUMTEXT": _str("VARCHAR", 16_777_215),
    "LONGTEXT": _str("VARCHAR", 4_294_967_295),
    "BINARY": _bin("BINARY"),
    "VARBINARY": _bin(),
    "BLOB": _bin(),
    "TINYBLOB": _bin("VARBINARY", 255),
    "MEDIUMBLOB": _bin("VARBINARY", 16_777_215),
    "LONGBLOB": _bin("VARBINARY", 4_294_967_295),
    "BIT": Rule("BIT", F.BINARY, Args.LENGTH, length=1),
    "BOOLEAN": Rule("BOOLEAN", F.BOOLEAN),
    "DATE": Rule("DATE", F.DATE),
    "DATE32": Rule("DATE", F.DATE),
    "TIME": _ts("TIME", F.TIME),
    "TIMETZ": _ts("TIMETZ", F.TIME),
    "TIME_NS": Rule("TIME", F.TIME, precision=9),
    "TIMESTAMP": _ts("TIMESTAMP", F.TIMESTAMP),
    "TIMESTAMPNTZ": _ts("TIMESTAMP", F.TIMESTAMP),
    "DATETIME": _ts("TIMESTAMP", F.TIMESTAMP),
    "DATETIME2": _ts("TIMESTAMP", F.TIMESTAMP),
    "DATETIME64": _ts("TIMESTAMP", F.TIMESTAMP, 3),
    "SMALLDATETIME": Rule("TIMESTAMP", F.TIMESTAMP, precision=0),
    "TIMESTAMP_S": Rule("TIMESTAMP", F.TIMESTAMP, precision=0),
    "TIMESTAMP_MS": Rule("TIMESTAMP", F.TIMESTAMP, precision=3),
    "TIMESTAMP_NS": Rule("TIMESTAMP", F.TIMESTAMP, precision=9),
    "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ),
    "TIMESTAMPLTZ": _ts("TIMESTAMPLTZ", F.TIMESTAMP_TZ),
    "INTERVAL": Rule("INTERVAL", F.INTERVAL),
    "JSON": Rule("JSON", F.JSON),
    "JSONB": Rule("JSONB", F.JSON),
    "VARIANT": Rule("VARIANT", F.JSON),
    "SUPER": Rule("SUPER", F.JSON),
    "UUID": Rule("UUID", F.UUID),
    "ARRAY": Rule("ARRAY", F.ARRAY, Args.NESTED),
    "LIST": Rule("ARRAY", F.ARRAY, Args.NESTED),
    "STRUCT": Rule("STRUCT", F.STRUCT, Args.NESTED),
    "OBJECT": Rule("STRUCT", F.STRUCT, Args.NESTED),
    "MAP": Rule("MAP", F.MAP, Args.NESTED),
    "ENUM": Rule("ENUM", F.ENUM, Args.ENUM),
    "ENUM8": Rule("ENUM", F.ENUM, Args.ENUM),
    "ENUM16": Rule("ENUM", F.ENUM, Args.ENUM),
    "GEOGRAPHY": Rule("GEOGRAPHY", F.GEO),
    "GEOGRAPHYPOINT": Rule("GEOGRAPHY", F.GEO),
    "GEOMETRY": Rule("GEOMETRY", F.GEO),
    "POINT": Rule("POINT", F.GEO),
    "LINESTRING": Rule("LINESTRING", F.GEO),
    "POLYGON": Rule("POLYGON", F.GEO),
    "MULTILINESTRING": Rule("MULTILINESTRING", F.GEO),
    "MULTIPOLYGON": Rule("MULTIPOLYGON", F.GEO),
    "RING": Rule("RING", F.GEO),
}

# Per-dialect differences from GENERIC. `PARENTS` says which dialect's table a dialect extends.
DIALECTS: Final[dict[str, dict[str, Rule]]] = {
    "postgres": {
        # FLOAT(p) follows the SQL standard: p <= 24 is REAL, else DOUBLE PRECISION.
        "DOUBLE": Rule("DOUBLE", F.FLOAT, Args.FLOAT_P, precision=64),
        "TIME": _ts("TIME", F.TIME, 6),
        "TIMETZ": _ts("TIMETZ", F.TIME, 6),
        "TIMESTAMP": _ts("TIMESTAMP", F.TIMESTAMP, 6),
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 6),
        "BIT": Rule("BIT", F.BINARY, Args.LENGTH, length=1),
        "MONEY": Rule("MONEY", F.DECIMAL, scale=2),
    },
    "redshift": {
        # VARCHAR/CHARACTER VARYING without a length is VARCHAR(256); TEXT is VARCHAR(256) too.
        "VARCHAR": _str("VARCHAR", 256, 65_535),
        "NVARCHAR": _str("VARCHAR", 256, 65_535),
        "TEXT": _str("VARCHAR", 256, 65_535),
        "CHAR": _str("CHAR", 1, 4_096),
        "NCHAR": _str("CHAR", 1, 4_096),
        "BPCHAR": _str("CHAR", 256, 4_096),
        "DECIMAL": _dec(18, 0),
        "VARBINARY": _bin("VARBINARY", 64_000),
    },
    "snowflake": {
        # Every integer type is NUMBER(38,0); NUMBER alone is (38,0); all floats are 64-bit.
        **dict.fromkeys(
            ("TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "INT128", "DECIMAL"), DECIMAL_38_0
        ),
        "FLOAT": DOUBLE,
        "DOUBLE": DOUBLE,
        "VARCHAR": _str("VARCHAR", None, 16_777_216),
        "TEXT": _str("VARCHAR", None, 16_777_216),
        "NVARCHAR": _str("VARCHAR", None, 16_777_216),
        "CHAR": _str("VARCHAR", 1, 16_777_216),
        "NCHAR": _str("VARCHAR", 1, 16_777_216),
        "BINARY": _bin("VARBINARY", 8_388_608),
        "VARBINARY": _bin("VARBINARY", 8_388_608),
        "TIME": _ts("TIME", F.TIME, 9),
        "TIMESTAMP": _ts("TIMESTAMP", F.TIMESTAMP, 9),
        "TIMESTAMPNTZ": _ts("TIMESTAMP", F.TIMESTAMP, 9),
        "DATETIME": _ts("TIMESTAMP", F.TIMESTAMP, 9),
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 9),
        "TIMESTAMPLTZ": _ts("TIMESTAMPLTZ", F.TIMESTAMP_TZ, 9),
        "OBJECT": Rule("OBJECT", F.JSON),
    },
    "bigquery": {
        # INT, SMALLINT, INTEGER, BIGINT, TINYINT, BYTEINT are aliases of INT64.
        **dict.fromkeys(("TINYINT", "SMALLINT", "INT", "BIGINT"), _int("BIGINT", 64)),
        "DECIMAL": _dec(38, 9),
        "BIGDECIMAL": _dec(76, 38),
        "FLOAT": DOUBLE,
        "BINARY": _bin(),
        "TIME": _ts("TIME", F.TIME, 6),
        "TIMESTAMP": _ts("TIMESTAMP", F.TIMESTAMP, 6),
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 6),
    },
    "duckdb": {
        # VARCHAR(n) is accepted but the length is not enforced: every string is unbounded.
        "VARCHAR": Rule("VARCHAR", F.STRING),
        "TEXT": Rule("VARCHAR", F.STRING),
        "CHAR": Rule("VARCHAR", F.STRING),
        "BPCHAR": Rule("VARCHAR", F.STRING),
        "NVARCHAR": Rule("VARCHAR", F.STRING),
        "VARBINARY": Rule("VARBINARY", F.BINARY),
        "BLOB": Rule("VARBINARY", F.BINARY),
        "DECIMAL": _dec(18, 3),
        "TIME": _ts("TIME", F.TIME, 6),
        "TIMESTAMP": _ts("TIMESTAMP", F.TIMESTAMP, 6),
        "TIMESTAMPNTZ": _ts("TIMESTAMP", F.TIMESTAMP, 6),
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 6),
    },
    "spark": {
        "DECIMAL": _dec(10, 0),
        "BINARY": _bin(),
        "TIMESTAMP": _ts("TIMESTAMP", F.TIMESTAMP, 6),
        "TIMESTAMPNTZ": _ts("TIMESTAMP", F.TIMESTAMP, 6),
        # Spark TIMESTAMP is TIMESTAMP_LTZ (session time zone); sqlglot reads it as TIMESTAMPTZ.
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 6),
        "TIMESTAMPLTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 6),
    },
    "tsql": {
        # VARCHAR/NVARCHAR/CHAR without a length in a column definition are length 1.
        "VARCHAR": _str("VARCHAR", 1),
        "NVARCHAR": _str("NVARCHAR", 1),
        "CHAR": _str("CHAR", 1),
        "NCHAR": _str("NCHAR", 1),
        "TEXT": _str("VARCHAR"),
        "VARBINARY": _bin("VARBINARY", 1),
        "BINARY": _bin("BINARY", 1),
        "BIT": Rule("BOOLEAN", F.BOOLEAN),
        "DECIMAL": _dec(18, 0),
        "MONEY": _dec(19, 4),
        "SMALLMONEY": _dec(10, 4),
        # The reader retypes FLOAT tokens as DOUBLE (sqlglot reads REAL and FLOAT alike):
        # REAL is 32 bits, FLOAT alone is FLOAT(53), FLOAT(n <= 24) is 32 bits.
        "FLOAT": REAL,
        "DOUBLE": Rule("DOUBLE", F.FLOAT, Args.FLOAT_P, precision=64),
        "DATETIME": Rule("TIMESTAMP", F.TIMESTAMP, precision=3),
        "DATETIME2": _ts("TIMESTAMP", F.TIMESTAMP, 7),
        "SMALLDATETIME": Rule("TIMESTAMP", F.TIMESTAMP, precision=0),
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 7),
        "TIME": _ts("TIME", F.TIME, 7),
        "ROWVERSION": _bin("BINARY", 8),
    },
    "mysql": {
        # BOOL/BOOLEAN is TINYINT(1), and the (1) is a display width, so it is TINYINT.
        "BOOLEAN": _int("TINYINT", 8),
        "DECIMAL": _dec(10, 0),
        "FLOAT": Rule("REAL", F.FLOAT, Args.FLOAT_P, precision=32),
        "TEXT": _str("VARCHAR", 65_535),
        "BLOB": _bin("VARBINARY", 65_535),
        "BIT": Rule("BIT", F.BINARY, Args.LENGTH, length=1),
        "TIME": _ts("TIME", F.TIME, 0),
        "DATETIME": _ts("TIMESTAMP", F.TIMESTAMP, 0),
        "TIMESTAMPTZ": _ts("TIMESTAMPTZ", F.TIMESTAMP_TZ, 0),
        "YEAR": _int("YEAR", 16, True),
    },
}

PARENTS: Final[dict[str, str]] = {
    "databricks": "spark",
    "spark2": "spark",
    "hive": "spark",
    "redshift": "postgres",
    "materialize": "postgres",
    "risingwave": "postgres",
    "fabric": "tsql",
    "singlestore": "mysql",
    "doris": "mysql",
    "starrocks": "mysql",
}

UNBOUNDED_WORDS: Final[frozenset[str]] = frozenset({"MAX"})

OTHER = Rule("", F.OTHER)
# Storage hints around a type that hold the same values (ClickHouse LowCardinality(String)).
WRAPPERS: Final[frozenset[str]] = frozenset({"LOWCARDINALITY"})


@cache
def table_for(dialect: str) -> dict[str, Rule]:
    """The merged rule table of a dialect: GENERIC, then its parents', then its own rules."""
    chain = []
    name: str | None = dialect
    while name is not None:
        chain.append(DIALECTS.get(name, {}))
        name = PARENTS.get(name)
    merged = dict(GENERIC)
    for layer in reversed(chain):
        merged.update(layer)
    return merged


def rule_for(dialect: str, type_name: str) -> Rule:
    """The rule of one sqlglot type name in a dialect (OTHER when the type is not modelled)."""
    return table_for(dialect).get(type_name, OTHER)


def float_bits(p: int) -> int:
    """Storage bits of FLOAT(p) in binary digits (1-24 single precision, 25-53 double)."""
    return 32 if p <= 24 else 64


# How a dialect's own documentation and catalog spell a type that sqlglot writes generically:
# Snowflake's DESCRIBE TABLE says NUMBER(10,2) and TIMESTAMP_NTZ, not DECIMAL(10, 2) and
# TIMESTAMPNTZ; Postgres's format_type() says numeric. Every dialect reads its own spelling.
DISPLAY_NAMES: Final[dict[str, dict[str, str]]] = {
    "snowflake": {
        "DECIMAL": "NUMBER",
        "TIMESTAMPNTZ": "TIMESTAMP_NTZ",
        "TIMESTAMPLTZ": "TIMESTAMP_LTZ",
        "TIMESTAMPTZ": "TIMESTAMP_TZ",
        "DOUBLE": "FLOAT",
    },
    "postgres": {"DECIMAL": "NUMERIC"},
    "tsql": {"NUMERIC": "DECIMAL"},
    "fabric": {"NUMERIC": "DECIMAL"},
    "materialize": {"DECIMAL": "NUMERIC"},
    "risingwave": {"DECIMAL": "NUMERIC"},
}
_DISPLAY_WORDS: Final[dict[str, re.Pattern[str]]] = {
    dialect: re.compile(r"\b(" + "|".join(names) + r")\b")
    for dialect, names in DISPLAY_NAMES.items()
}
# Numeric type arguments as vendors write them: NUMBER(10,2), DECIMAL(18,4).
_ARG_SPACE: Final = re.compile(r"(?<=\d), (?=\d)")


def display_type(text: str, dialect: str) -> str:
    """sqlglot's spelling of a type rewritten as the dialect itself spells it.

    >>> display_type("ARRAY<DECIMAL(10, 2)>", "snowflake"), display_type("TIMESTAMPNTZ", "snowflake")
    ('ARRAY<NUMBER(10,2)>', 'TIMESTAMP_NTZ')
    """
    words = _DISPLAY_WORDS.get(dialect)
    if words is not None:
        names = DISPLAY_NAMES[dialect]
        text = words.sub(lambda m: names[m[1]], text)
    return _ARG_SPACE.sub(",", text)
