"""Sourced statistics of the six provinces and China, their vintages, derived values and the guideline's targets."""

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
