"""Charts as geometry (domain/charts.py): axes in whole steps, bars in proportion, every
series its own pattern (readable without colour, R-PROP-11)."""

from __future__ import annotations

import pytest

from chalicelib.domain import charts


@pytest.mark.parametrize(("value", "top"), [(0, 4), (1, 4), (4, 4), (5, 8), (7, 8), (9, 20),
                                            (321, 400), (1000, 1000), (1001, 2000)])
def test_the_axis_top_holds_the_value_in_four_whole_steps(value: int, top: int) -> None:
    assert charts.axis_top(value) == top
    assert top % 4 == 0 and top >= value


def test_bars_are_in_proportion_and_each_series_has_its_own_pattern() -> None:
    chart = charts.bar_chart(["11-01", "11-02"], [("Đã gửi", [8, 4]), ("Lỗi", [2, 0])])
    assert [tick.label for tick in chart.y_ticks] == ["0", "2", "4", "6", "8"]
    sent = [bar for bar in chart.bars if bar.series == 0]
    assert sent[0].height == pytest.approx(2 * sent[1].height)
    assert sent[0].y + sent[0].height == pytest.approx(chart.baseline)
    assert [pattern for _, pattern in chart.series] == ["solid", "hatch"]
    assert chart.bars[1].title == "11-01 · Lỗi: 2"


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="1 values for 2 labels"):
        charts.bar_chart(["a", "b"], [("x", [1])])


def test_a_long_axis_labels_about_eight_days() -> None:
    labels = [f"d{n}" for n in range(30)]
    chart = charts.bar_chart(labels, [("x", [1] * 30)])
    assert 6 <= len(chart.x_ticks) <= 10
