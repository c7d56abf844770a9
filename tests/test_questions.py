import pytest

from mlscaffold.generate.questions import AnswersError, Question, Questionnaire, coerce, parse

COPIER_YML = """
_subdirectory: project
project_name:
  type: str
  help: Project name
  default: my-project
package_name:
  type: str
  default: "{{ project_name | lower | replace('-', '_') }}"
use_gpu:
  type: bool
  default: false
epochs:
  type: int
  default: 3
dataset:
  type: str
  choices:
    CIFAR-10: cifar10
    My images: folder
  default: cifar10
gpu_count:
  type: int
  default: 1
  when: "{{ use_gpu }}"
constant:
  type: str
  default: fixed
  when: false
"""


def test_parse_reads_questions_in_order_and_skips_settings() -> None:
    questions = parse(COPIER_YML)
    assert [q.name for q in questions][:3] == ["project_name", "package_name", "use_gpu"]
    dataset = next(q for q in questions if q.name == "dataset")
    assert dataset.choices == [("CIFAR-10", "cifar10"), ("My images", "folder")]


def test_defaults_are_rendered_from_earlier_answers() -> None:
    answers = Questionnaire(parse(COPIER_YML), {"project_name": "My-Recs"}, {}).run(None)
    assert answers["package_name"] == "my_recs"
    assert answers["epochs"] == 3 and answers["use_gpu"] is False
    assert "gpu_count" not in answers and "constant" not in answers


def test_given_answers_are_coerced_and_when_is_followed() -> None:
    given = {"use_gpu": "yes", "gpu_count": "2", "epochs": "5"}
    answers = Questionnaire(parse(COPIER_YML), given, {}).run(None)
    assert answers["use_gpu"] is True and answers["gpu_count"] == 2 and answers["epochs"] == 5


def test_given_answers_to_skipped_questions_are_reported() -> None:
    questionnaire = Questionnaire(parse(COPIER_YML), {"gpu_count": "2", "constant": "x"}, {})
    answers = questionnaire.run(None)
    assert "gpu_count" not in answers and "constant" not in answers
    assert [q.name for q in questionnaire.not_asked] == ["gpu_count", "constant"]


def test_user_defaults_beat_template_defaults() -> None:
    answers = Questionnaire(parse(COPIER_YML), {}, {"project_name": "from-dest"}).run(None)
    assert answers["project_name"] == "from-dest" and answers["package_name"] == "from_dest"


def test_every_bad_or_unknown_answer_is_listed() -> None:
    given = {"epochs": "many", "dataset": "imagenet", "package_name": "json", "colour": "red"}
    with pytest.raises(AnswersError) as info:
        Questionnaire(parse(COPIER_YML), given, {}).run(None)
    assert set(info.value.problems) == {"epochs", "dataset", "package_name", "colour"}
    assert "standard library" in str(info.value)


def test_prompts_get_the_rendered_default_and_the_checker() -> None:
    asked = []

    def prompt(question, default, check):
        asked.append((question.name, default))
        value, problem = check(question, "bad name" if question.name == "package_name" else default)
        if problem:  # a real prompt re-asks; here the second answer is valid
            value, problem = check(question, "good_name")
        assert problem is None
        return value

    answers = Questionnaire(parse(COPIER_YML), {"project_name": "x-y"}, {}).run(prompt)
    assert ("package_name", "x_y") in asked and answers["package_name"] == "good_name"
    assert "project_name" not in dict(asked)  # given answers are not asked again


def test_coerce() -> None:
    assert coerce(Question("n", type="float"), "0.25") == 0.25
    assert coerce(Question("n", type="json"), '{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="yes or no"):
        coerce(Question("n", type="bool"), "maybe")
