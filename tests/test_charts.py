"""Chart geometry (sixways/results/charts.py) and how the charts render on the pages."""

import re
from fractions import Fraction

import pytest
from django.urls import reverse

from sixways.results.charts import (
    OPTION_STYLES,
    WIDTH,
    heat_shade,
    heatmap,
    run_chart,
    stacked_bars,
)
from sixways.rounds.models import Round
from tests.conftest import behaviour_pages

OPTIONS = [("yes", "Yes"), ("sometimes", "Sometimes"), ("not-always", "Not always"), ("no", "No")]


def test_it_splits_each_bar_across_the_full_width_in_the_answers_order():
    chart = stacked_bars(
        "c", "Answers", [("1. One", {"yes": 7, "sometimes": 60, "not-always": 33}, "")], OPTIONS
    )
    segments = chart.bars[0].segments
    assert [s.label.split(":")[0] for s in segments] == ["Yes", "Sometimes", "Not always"]
    assert sum(s.width for s in segments) == pytest.approx(WIDTH)
    assert segments[0].x == 0 and segments[1].x == pytest.approx(segments[0].width)
    # Wide segments name their answer, so the bar reads without colour; narrow ones give the
    # percentage only when it fits.
    assert segments[1].text == "Sometimes 60%"
    assert segments[0].text == "7%"


def test_every_answer_has_its_own_shade_and_pattern():
    assert len({s.fill for s in OPTION_STYLES}) == len(OPTION_STYLES)
    assert len({s.pattern for s in OPTION_STYLES}) == len(OPTION_STYLES)


def test_the_description_gives_the_figures_in_words():
    chart = stacked_bars(
        "c", "Answers", [("1. One", {"yes": 1, "no": 3}, "Score 0.75 out of 3")], OPTIONS
    )
    assert chart.description == (
        "1. One: Yes 25%, Sometimes 0%, Not always 0%, No 75%; Score 0.75 out of 3."
    )


def test_a_bar_with_no_answers_says_so():
    chart = stacked_bars("c", "Answers", [("1. One", {}, "")], OPTIONS)
    assert chart.bars[0].empty and chart.bars[0].segments == []


def test_heatmap_cells_carry_their_score_and_hidden_rows_say_hidden():
    chart = heatmap(
        "h",
        "By organisation",
        [("1", "One"), ("2", "Two")],
        [("Council", {"1": Fraction(3), "2": Fraction(1, 3)}, False), ("Hidden", None, False)],
    )
    council, hidden = chart.rows
    assert [c.text for c in council.cells] == ["3.00", "0.33"]
    assert all(c.hidden and c.text == "Hidden" for c in hidden.cells)
    assert "Council: 1 3.00, 2 0.33" in chart.description and "Hidden: hidden" in chart.description


def test_heat_shades_run_light_to_dark_with_readable_text():
    assert heat_shade(Fraction(0)) == ("#f0f4f5", "#212b32")
    assert heat_shade(Fraction(3)) == ("#003087", "#ffffff")
    assert heat_shade(Fraction(3, 2))[0] != heat_shade(Fraction(1))[0]


def test_a_run_chart_breaks_its_line_where_the_questions_change():
    scale = [(3, "Yes"), (2, "Sometimes"), (1, "Not always"), (0, "No")]
    chart = run_chart(
        "t",
        "Trend",
        [
            ("Spring 2025", 1, Fraction(1)),
            ("Autumn 2025", 1, Fraction(2)),
            ("Spring 2026", 1, Fraction(3, 2)),
            ("Autumn 2026", 2, Fraction(2)),
            ("Spring 2027", 2, None),
        ],
        scale,
    )
    assert len(chart.lines) == 2  # within version 1 only; none to or from the gap
    assert [label for _, label in chart.breaks] == ["Version 2"]
    assert [p.value for p in chart.points][-1] == "Not shown"
    assert chart.medians and chart.medians[0][3] == "1.50"  # version 1's three rounds
    assert "Spring 2027 (version 2): not shown" in chart.description
    # Higher scores are drawn higher.
    assert chart.points[1].y < chart.points[0].y


def test_charts_on_the_results_page_are_svg_with_a_title_a_description_and_a_table(
    demo_client,
):
    spring = Round.objects.get(title="Spring 2026")
    html = demo_client.get(reverse("results:round", args=[spring.pk])).content.decode()
    html += behaviour_pages(demo_client, spring)
    charts = re.findall(r"<svg class=\"sixways-chart\"[^>]*>", html)
    assert len(charts) >= 7  # the behaviours, each behaviour's questions, the gap
    for tag in charts:
        chart_id = re.search(r'data-chart="([^"]+)"', tag).group(1)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in tag
        assert f'<title id="{chart_id}-title">' in html
        assert f'<desc id="{chart_id}-desc">' in html
    assert "style=" not in html  # the Content-Security-Policy forbids inline styles
    assert 'id="scores"' in html  # the table beside the chart
    assert "Sometimes 60%" in html


def test_the_trend_page_draws_a_run_chart_for_each_behaviour(demo_client, demo_partnership):
    html = demo_client.get(reverse("results:trend", args=[demo_partnership.pk])).content.decode()
    assert html.count('data-chart="chart-trend-') == 6
    # Behaviour 1: spring 122/63; autumn is open, so it has no figures yet.
    table = re.search(r'data-trend="1">(.*?)</table>', html, re.S).group(1)
    assert "1.94" in table
    assert "Autumn 2026 (still open)" in table


def test_a_run_chart_marks_a_round_still_open_as_provisional():
    scale = [(3, "Yes"), (0, "No")]
    points = [("Spring", 1, Fraction(1)), ("Autumn", 1, Fraction(2)), ("Now", 1, Fraction(3))]
    chart = run_chart("t", "Trend", points, scale, provisional={2})
    assert [p.provisional for p in chart.points] == [False, False, True]
    assert [dashed for *_, dashed in chart.lines] == [False, True]
    assert "Now (version 1, still open): 3.00" in chart.description
    assert not chart.medians  # an open round's score is not part of the median
