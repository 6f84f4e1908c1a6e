"""Classes, legend labels, no data and colours of the shared choropleth classification, on small hand-made inputs."""

from __future__ import annotations

import math

import pytest

from geodata.classify import (
    NO_DATA,
    PALETTES,
    ClassifyError,
    classify,
    colours_for,
    contrast_ratio,
    default_method,
    legend,
    legend_title,
    palette,
    text_color,
)

SIX = [1.22, 2.76, 1.95, 2.01, 2.56, 2.62]  # R&D intensities, 2024


def test_rank_gives_each_of_six_values_its_class_in_order() -> None:
    result = classify(SIX, method="rank")
    assert result.classes == (0, 5, 1, 2, 3, 4)
    assert result.labels == ("1.22", "1.95", "2.01", "2.56", "2.62", "2.76")
    assert default_method(SIX) == "rank" and default_method(range(30)) == "quantiles"


def test_ties_share_a_class_and_k_shrinks_to_the_distinct_values() -> None:
    result = classify([3, 1, 3, 2, 1], method="quantiles", k=5)
    assert result.k == 3
    assert result.classes == (2, 0, 2, 1, 0)
    assert result.counts == (2, 1, 2)
    jenks = classify([5.0, 5.0, 7.5], method="fisher_jenks", k=4)  # mapclassify itself refuses k > distinct values
    assert jenks.classes == (0, 0, 1)


def test_missing_values_are_no_data_and_zero_is_data() -> None:
    result = classify([0, None, math.nan, "", 4, 0], method="rank")
    assert result.classes == (0, NO_DATA, NO_DATA, NO_DATA, 1, 0)
    assert result.n_no_data == 3 and result.labels == ("0", "4")
    entries = legend(result)
    assert [e["label"] for e in entries] == ["0", "4", "No data"]
    assert entries[-1]["class"] == NO_DATA and entries[-1]["pattern"] and entries[-1]["count"] == 3
    assert entries[0]["color"] != entries[-1]["color"]  # zero is not drawn like no data
    assert colours_for(result)[1] == entries[-1]["color"]
    assert "No data" not in [e["label"] for e in legend(classify([0, 1]))]
    assert legend(classify([0, 1]), no_data=True)[-1]["label"] == "No data"


def test_counts_get_integer_class_labels_never_half_ticks() -> None:
    counts = [0, 0, 1, 1, 2, 3, 5, 8, 13, 40]
    for method in ("quantiles", "fisher_jenks", "equal_interval"):
        result = classify(counts, method=method, k=4)
        assert result.integer
        text = " ".join(result.labels)
        assert "." not in text, (method, result.labels)
        lows = [int(label.split("–")[0]) for label in result.labels]
        highs = [int(label.split("–")[-1]) for label in result.labels]
        assert lows[0] == 0 and highs[-1] == 40
        assert all(b == a + 1 for a, b in zip(highs, lows[1:], strict=False))  # whole numbers, no gaps or overlap


def test_equal_interval_classes_of_counts() -> None:
    result = classify([0, 10, 20, 30, 40], method="equal_interval", k=4)
    assert result.labels == ("0–10", "11–20", "21–30", "31–40")
    assert result.classes == (0, 0, 1, 2, 3)


def test_rates_get_the_decimals_needed_to_tell_bounds_apart() -> None:
    assert classify(SIX, method="quantiles", k=3).decimals == 2
    close = classify([2.2929, 2.29, 2.31], method="rank")
    assert close.labels == ("2.290", "2.293", "2.310")
    big = classify([25698.18, 47050.6, 53231.0], method="rank")
    assert big.labels[-1] == "53,231.00" and not big.integer


def test_user_breaks_put_values_at_a_break_in_the_lower_class() -> None:
    result = classify([5, 10, 15, 60], method="user", breaks=[10, 50])
    assert result.classes == (0, 0, 1, 2)
    assert result.labels == ("5–10", "11–50", "51–60")
    with pytest.raises(ClassifyError, match="needs breaks"):
        classify([1, 2], method="user")


def test_bad_options_say_what_is_wrong() -> None:
    with pytest.raises(ClassifyError, match="unknown method 'natural'"):
        classify([1], method="natural")
    with pytest.raises(ClassifyError, match="'abc' is not a number"):
        classify([1, "abc"])
    assert classify([None, None]).classes == (NO_DATA, NO_DATA)


def test_palettes_run_light_to_dark_and_text_stays_readable() -> None:
    from geodata.classify import relative_luminance

    for name in PALETTES:
        for n in (2, 5, 6, 12):
            colours = palette(n, name=name)
            assert len(colours) == n and len(set(colours)) == n
            luminance = [relative_luminance(c) for c in colours]
            assert luminance == sorted(luminance, reverse=True), (name, n)
            for colour in colours:
                assert contrast_ratio(colour, text_color(colour)) >= 4.5, (name, colour)
    assert text_color("#081d58") == "#ffffff" and text_color("#edf8b1") == "#000000"


def test_legend_title_names_column_unit_and_year() -> None:
    assert legend_title("investment") == "investment"
    assert legend_title("gdp", title="GDP", unit="100M yuan", year=2024) == "GDP (100M yuan), 2024"
