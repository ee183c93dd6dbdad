import pytest

from components_app.compiler import CompilationError, CompiledComponent, comment_tag_compiler, compile_component
from registry.errors import RegistryError

SOURCE = """\
// @title Product card
// @description Shows a product
// @description with its price.
// @prop title: string - The product name
// @prop price: number = 0 - Price in cents
// @prop featured?: boolean
export default function ProductCard({ title, price }) {
  return view([text(title), text("{" + price)]);  /* a brace in a string: "}" */
}
"""


def test_the_comment_tag_compiler_passes_the_source_through_as_compiled_output():
    result = comment_tag_compiler(name="ProductCard", type="view", content=SOURCE)
    assert result.compiled == SOURCE


def test_the_comment_tag_compiler_reads_title_and_description_from_doc_tags():
    result = comment_tag_compiler(name="ProductCard", type="view", content=SOURCE)
    assert result.title == "Product card"
    assert result.description == "Shows a product with its price."


def test_the_comment_tag_compiler_builds_a_json_schema_from_prop_tags():
    result = comment_tag_compiler(name="ProductCard", type="view", content=SOURCE)
    assert result.schema == {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "The product name"},
            "price": {"type": "number", "default": 0, "description": "Price in cents"},
            "featured": {"type": "boolean"},
        },
        "required": ["title", "price"],
    }


def test_a_component_without_tags_is_titled_by_its_name_and_has_an_empty_schema():
    result = comment_tag_compiler(name="Plain", type="layout", content="stack([])")
    assert (result.title, result.description, result.schema) == ("Plain", "", {})


def test_an_unknown_property_type_is_a_compile_error_on_its_line():
    with pytest.raises(CompilationError) as caught:
        comment_tag_compiler(name="X", type="view", content="a()\n// @prop size: huge\n")
    assert [(p.line, p.message) for p in caught.value.problems] == [(2, "unknown type 'huge' for property 'size'")]


def test_an_unclosed_bracket_is_reported_at_the_line_that_opened_it():
    with pytest.raises(CompilationError) as caught:
        comment_tag_compiler(name="X", type="view", content="a()\nview([\n  text('x')\n")
    assert [p.line for p in caught.value.problems] == [2, 2]


def test_an_unexpected_closing_bracket_is_reported_at_its_line():
    with pytest.raises(CompilationError) as caught:
        comment_tag_compiler(name="X", type="view", content="a()\nb())\n")
    assert [(p.line, p.message) for p in caught.value.problems] == [(2, "unexpected ')'")]


def test_a_compile_error_becomes_a_400_compilation_error_with_line_and_column(settings):
    settings.REGISTRY_COMPONENT_COMPILER = "components_app.compiler.comment_tag_compiler"
    with pytest.raises(RegistryError) as caught:
        compile_component(name="X", type="view", content="// @prop a: string = nope\n")
    assert caught.value.status == 400
    assert caught.value.code == "COMPILATION_ERROR"
    assert caught.value.details == {
        "errors": [{"line": 1, "column": None, "message": "default of 'a' is not valid JSON"}]
    }


def test_bindjs_is_the_default_compiler(settings):
    assert settings.REGISTRY_COMPONENT_COMPILER == "components_app.bindjs.compile_bindjs"


def shouting_compiler(*, name, type, content):
    return CompiledComponent(compiled=content.upper(), title=f"{name}!", schema={"type": "object"})


def test_the_compiler_named_by_the_setting_is_the_one_used(settings):
    settings.REGISTRY_COMPONENT_COMPILER = "tests.components.test_compiler.shouting_compiler"
    result = compile_component(name="Card", type="view", content="view()")
    assert (result.compiled, result.title) == ("VIEW()", "Card!")
