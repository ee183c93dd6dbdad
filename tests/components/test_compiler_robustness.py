"""Hostile component sources are read as before, and bad defaults are compile errors, never a 500.

How long the compiler takes on them is measured by ``bench/hostile_inputs.py``, not asserted here.
"""

import pytest
from django.db import IntegrityError

from components_app import services
from components_app.compiler import CompilationError, comment_tag_compiler, compile_component
from components_app.models import Component, ComponentStatus
from registry.errors import RegistryError


def problems_of(content: str) -> list[tuple[int, str]]:
    with pytest.raises(CompilationError) as caught:
        comment_tag_compiler(name="X", type="view", content=content)
    return [(p.line, p.message) for p in caught.value.problems]


def test_a_prop_line_with_a_long_run_of_inner_spaces_is_a_compile_error():
    content = "// @prop x: string = a" + " " * 60_000 + "b"
    assert problems_of(content) == [(1, "default of 'x' is not valid JSON")]  # "a   ...   b" is not JSON


@pytest.mark.parametrize("spaces", [" ", "\t"])
def test_long_runs_of_spaces_around_a_description_dash_are_read_as_before(spaces):
    run = spaces * 60_000
    content = f'// @prop x: string = "a"{run}-{run}The name\n// @prop y?: number{run}-{run}A number\n'
    result = comment_tag_compiler(name="X", type="view", content=content)
    assert result.schema["properties"] == {
        "x": {"type": "string", "default": "a", "description": "The name"},
        "y": {"type": "number", "description": "A number"},
    }
    assert result.schema["required"] == ["x"]


@pytest.mark.parametrize(
    ("tag", "prop"),
    [
        ("x: string", {"type": "string"}),
        ("x: string - A name", {"type": "string", "description": "A name"}),
        ("x: string -  - two dashes", {"type": "string", "description": "- two dashes"}),
        ("x: number=1", {"type": "number", "default": 1}),
        ("x: number = -1 - Negative", {"type": "number", "default": -1, "description": "Negative"}),
        (
            'x: object = {"a": [1, {"b": null}]} - Nested',
            {"type": "object", "default": {"a": [1, {"b": None}]}, "description": "Nested"},
        ),
    ],
)
def test_the_prop_syntax_is_read_as_it_always_was(tag, prop):
    result = comment_tag_compiler(name="X", type="view", content=f"// @prop {tag}\n")
    assert result.schema["properties"] == {"x": prop}


@pytest.mark.parametrize("tag", ['x: string = "a - b" - Cut at the first dash', "x: array = [1, 2]-not a description"])
def test_a_default_runs_up_to_the_first_spaced_dash_as_it_always_did(tag):
    assert problems_of(f"// @prop {tag}\n") == [(1, "default of 'x' is not valid JSON")]


@pytest.mark.parametrize("tag", ["x string", "x: string- A name", "x: string =", "x: string junk", "1x: string"])
def test_a_malformed_prop_tag_is_still_a_compile_error(tag):
    assert problems_of(f"// @prop {tag}\n") == [
        (1, "malformed @prop: expected 'NAME[?]: TYPE [= DEFAULT] [- DESCRIPTION]'")
    ]


def test_a_deeply_nested_default_is_a_compile_error_not_a_recursion_crash():
    content = "// @prop x: array = " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert problems_of(content) == [(1, "default of 'x' is nested too deeply")]


def test_a_deeply_nested_default_is_a_400_compilation_error():
    content = "// @prop x: array = " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(RegistryError) as caught:
        compile_component(name="X", type="view", content=content)
    assert (caught.value.status, caught.value.code) == (400, "COMPILATION_ERROR")


@pytest.mark.parametrize("default", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "[1, 1e400]", '{"a": NaN}'])
def test_a_non_finite_number_in_a_default_is_a_compile_error(default):
    assert problems_of(f"// @prop x: number = {default} - A number\n") == [
        (1, "default of 'x' is not a finite number (NaN, Infinity and out-of-range numbers are not JSON)")
    ]


def test_large_finite_numbers_are_still_accepted_as_defaults():
    result = comment_tag_compiler(name="X", type="view", content="// @prop x: number = 1.5e308\n")
    assert result.schema["properties"]["x"]["default"] == 1.5e308


@pytest.mark.django_db
@pytest.mark.parametrize("default", ["NaN", "1e999"])
def test_creating_a_component_with_a_non_finite_default_is_a_400_not_a_database_error(make_component, default):
    with pytest.raises(RegistryError) as caught:
        make_component("Card", content=f"// @prop x: number = {default}\n")
    assert (caught.value.status, caught.value.code) == (400, "COMPILATION_ERROR")
    assert not Component.objects.filter(name="Card").exists()


@pytest.mark.django_db
def test_a_name_clash_that_slips_past_the_check_is_409_component_name_exists(make_component, project, author):
    make_component("Card")
    twin = Component(project=project, name="CARD", type="view", author=author, status=ComponentStatus.DRAFT)
    with pytest.raises(RegistryError) as caught:
        services._save(twin)
    assert (caught.value.status, caught.value.code) == (409, "COMPONENT_NAME_EXISTS")


@pytest.mark.django_db
def test_any_other_constraint_violation_on_save_is_not_reported_as_a_name_clash(project, author):
    broken = Component(project=project, name="Card", type="view", author=author, status=ComponentStatus.PUBLISHED)
    with pytest.raises(IntegrityError):  # published without a version
        services._save(broken)
