import copy
import re
from pathlib import Path

import pytest

from sixways.instruments import loading
from sixways.instruments.models import Instrument, Option, Question, Section

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "004_7a6b8a574c5ced4c.txt"


def test_it_loads_six_sections_of_24_questions(instrument):
    counts = [s.questions.count() for s in Section.objects.filter(instrument=instrument)]
    assert counts == [4, 5, 4, 4, 3, 4]
    assert [(o.key, o.label, o.score) for o in Option.objects.filter(instrument=instrument)] == [
        ("yes", "Yes", 3),
        ("sometimes", "Sometimes", 2),
        ("not-always", "Not always", 1),
        ("no", "No", 0),
    ]


def test_it_keeps_short_and_full_titles(instrument):
    section = Section.objects.get(instrument=instrument, key="4")
    assert section.short_title == "Understand each other's worlds"
    assert section.title == "Get to know each other and understand each other's worlds"


def test_it_explains_question_3_4_in_a_hint(instrument):
    assert "Answer Yes if you make decisions together" in Question.objects.get(key="3.4").hint


@pytest.mark.skipif(not SEED.exists(), reason="the source documents are not beside this checkout")
def test_it_keeps_every_question_word_for_word(instrument):
    seed = SEED.read_text()
    # In the seed each question is a numbered line followed by the four empty answer cells.
    seed_questions = re.findall(r"^\d\. (.+?\?)\t", seed, flags=re.MULTILINE)
    assert len(seed_questions) == 24
    assert [q.text for q in Question.objects.filter(instrument=instrument)] == seed_questions


def test_loading_again_changes_nothing(instrument):
    assert loading.load_all() == [(instrument, False)]
    assert Instrument.objects.count() == 1


def test_it_refuses_new_wording_under_the_same_version(instrument):
    data = loading.read(loading.DATA_DIR / "six-ways-v1.toml")
    data["sections"][0]["questions"][0]["text"] = "Reworded?"
    with pytest.raises(loading.InstrumentError, match="needs a new version number"):
        loading.load(data)


def _raw():
    import tomllib

    return tomllib.loads((loading.DATA_DIR / "six-ways-v1.toml").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sections"][1]["questions"].append({"key": "1.1", "text": "Again?"}),
            "question '1.1': duplicate key",
        ),
        (lambda d: d["scale"][2].pop("label"), "scale option 'not-always': 'label' is missing"),
        (lambda d: d["scale"][1].update(score="two"), "scale option 'sometimes': 'score' must"),
        (lambda d: d["scale"][1].update(score=3), "another option already has score 3"),
        (lambda d: d["sections"][4].update(questions=[]), "section '5': has no questions"),
        (
            lambda d: d["sections"][2]["questions"][0].update(key="4.9"),
            "question '4.9': key must start with its section key 3.",
        ),
        (
            lambda d: d["sections"].append(copy.deepcopy(d["sections"][0])),
            "section '1': duplicate key",
        ),
        (lambda d: d.update(version=0), "'version' must be a whole number"),
    ],
)
def test_it_refuses_a_broken_file_naming_the_key(change, message):
    data = _raw()
    change(data)
    with pytest.raises(loading.InstrumentError, match=re.escape(message)):
        loading.validate(data)


def test_the_command_reports_a_broken_file(tmp_path, monkeypatch, db):
    from django.core.management import CommandError, call_command

    (tmp_path / "bad.toml").write_text(
        'key = "x"\nversion = 1\n[[scale]]\nkey = "yes"\nscore = 3\n'
    )
    monkeypatch.setattr(loading, "DATA_DIR", tmp_path)
    with pytest.raises(CommandError, match="scale option 'yes': 'label' is missing"):
        call_command("load_instruments")
    assert not Instrument.objects.exists()
