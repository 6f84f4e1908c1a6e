"""Sourced statistics of the six provinces and China, their vintages, derived values and the guideline's targets.

For the dashboard:

- `load_indicators()` -> the tidy, validated table (one row per adcode, year, indicator, variant; columns in
  `schema.COLUMNS`; `low_confidence` to show, `derived` rows labelled with `derivation` and `derived_from`).
  `load_indicator_documents()` -> every document row of the bundled CSV, for the data download with all sources.
- `INDICATORS[name]` (unit, labels en/zh, rate or not), `VINTAGES[vintage]` (labels en/zh), `schema.NAMES`.
- `targets.targets_table(frame, as_of=year)` -> `TargetStatus` records (status, numbers used, years, vintage,
  missing cells); `targets.sentence(status, lang="en"|"zh")`; `targets.trend_series(...)`, `targets.path_points(...)`.
- `geodata.classify.classify(values, method=..., k=...)` and `legend(...)` for the classed map.
- `find_problems(frame)` / `validate_indicators(frame)` check any frame shaped like the table.
"""

from geodata.indicators.load import load_indicator_documents, load_indicators
from geodata.indicators.schema import CHINA, INDICATORS, KNOWN_ADCODES, PROVINCES, REGION, VINTAGES, IndicatorError
from geodata.indicators.validate import find_problems, validate_indicators

__all__ = [
    "CHINA",
    "INDICATORS",
    "KNOWN_ADCODES",
    "PROVINCES",
    "REGION",
    "VINTAGES",
    "IndicatorError",
    "find_problems",
    "load_indicator_documents",
    "load_indicators",
    "validate_indicators",
]
