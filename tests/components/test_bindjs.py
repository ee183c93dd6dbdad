"""The BindJS compiler: example components in the documented style compile to JavaScript and a JSON Schema
that validates example props; hostile components are refused with 400 COMPILATION_ERROR; components stored
in the old comment-tag format stay readable and publishable."""

import subprocess

import pytest
from jsonschema import Draft202012Validator

from components_app import services
from components_app.bindjs import compile_bindjs, runner
from components_app.compiler import CompilationError, compile_component
from components_app.models import Component, ComponentStatus
from registry.errors import RegistryError
from tests.components.conftest import reload
from tests.components.sources import bindjs

# One component using every property helper, with the options each takes.
PROFILE_CARD = """\
import type { Nothing } from "./types";  // a type-only import disappears with the types

interface Props {
  name: string;
  age: number;
}

enum Size { Small = "small", Large = "large" }

const sizes: string[] = [Size.Small, Size.Large];

export default defineComponent({
  metadata: { title: "Profile card", description: "A person, their **picture** and their links." },
  properties: () => ({
    name: PropertyString({
      title: "Name",
      description: "Shown as the heading",
      required: true,
      defaultValue: "Ada",
      inspector: { placeholder: "Full name" },
      validation: { minLength: 1, maxLength: 80 },
    }),
    email: PropertyString({ title: "Email", validation: { format: "email" } }),
    age: PropertyNumber({ title: "Age", defaultValue: 36, validation: { min: 0, max: 150 }, inspector: { step: 1 } }),
    verified: PropertyBoolean({ title: "Verified", defaultValue: false }),
    size: PropertyEnum({ title: "Size", options: sizes, defaultValue: "small" }),
    theme: PropertyEnum({ title: "Theme", options: [{ value: "light", label: "Light" }, { value: "dark", label: "Dark" }] }),
    born: PropertyDate({ title: "Born", includeTime: false }),
    tags: PropertyArray({ title: "Tags", valueType: PropertyString({}), validation: { maxItems: 5 } }),
    address: PropertyGroup({
      title: "Address",
      properties: {
        city: PropertyString({ title: "City", required: true }),
        zip: PropertyString({ title: "ZIP", validation: { pattern: "^[0-9]{5}$" } }),
      },
    }),
    picture: PropertyAsset({ title: "Picture", assetTypes: ["image"] }),
    bio: PropertyContent({ title: "Biography", contentTypes: ["article"] }),
    footer: PropertyComponent({ title: "Footer", allowedComponents: ["Button", "Link"] }),
  }),
  body: (props: Props, children: unknown[]) => VStack([Text(props.name), ...children]),
});
"""

EXAMPLE_PROPS = {
    "name": "Grace Hopper",
    "email": "grace@example.com",
    "age": 85,
    "verified": True,
    "size": "large",
    "theme": "dark",
    "born": "1906-12-09",
    "tags": ["navy", "cobol"],
    "address": {"city": "Arlington", "zip": "22201"},
    "picture": "grace-portrait",
    "bio": "content-42",
    "footer": {"component": "Link", "props": {"href": "/more"}},
}


@pytest.fixture(scope="module")
def profile_card():
    return compile_bindjs(name="ProfileCard", type="view", content=PROFILE_CARD)


def test_title_and_description_come_from_metadata(profile_card):
    assert (profile_card.title, profile_card.description) == (
        "Profile card",
        "A person, their **picture** and their links.",
    )


def test_compiled_is_javascript_that_the_js_engine_parses_with_no_typescript_left(profile_card, tmp_path):
    assert "interface Props" not in profile_card.compiled
    assert "props: Props" not in profile_card.compiled
    # V8 parses the module as plain JavaScript (it knows no TypeScript): a leftover annotation is a SyntaxError.
    check = (
        "globalThis.defineComponent = (d) => d; for (const n of ['String','Number','Boolean','Enum','Date','Array',"
        "'Group','Asset','Content','Component']) globalThis['Property' + n] = (o) => o;"
        "const m = await import('data:text/javascript,' + encodeURIComponent(await new Response(Deno.stdin.readable)"
        ".text())); console.log(typeof m.default.body);"
    )
    done = subprocess.run(
        [runner.deno_binary(), "eval", "--no-remote", "--no-npm", "--no-config", check],
        input=profile_card.compiled,
        capture_output=True,
        text=True,
        timeout=60,
        env={"NO_COLOR": "1", "DENO_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert (done.returncode, done.stdout.strip()) == (0, "function"), done.stderr


def test_the_schema_is_valid_json_schema_and_accepts_the_example_props(profile_card):
    Draft202012Validator.check_schema(profile_card.schema)
    validator = Draft202012Validator(profile_card.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(EXAMPLE_PROPS)) == []


@pytest.mark.parametrize(
    ("change", "refused_at"),
    [
        ({"name": None}, "name"),
        ({"age": 200}, "age"),
        ({"size": "medium"}, "size"),
        ({"theme": "blue"}, "theme"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"address": {"zip": "22201"}}, "address"),
        ({"footer": {"component": "Banner"}}, "footer"),
        ({"email": "not an email"}, "email"),
    ],
)
def test_the_schema_refuses_props_that_break_a_property_rule(profile_card, change, refused_at):
    validator = Draft202012Validator(profile_card.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = list(validator.iter_errors({**EXAMPLE_PROPS, **change}))
    assert [e.absolute_path[0] for e in errors] == [refused_at]


def test_required_defaults_and_editor_options_are_in_the_schema(profile_card):
    schema = profile_card.schema
    assert schema["required"] == ["name"]
    name = schema["properties"]["name"]
    assert (name["default"], name["title"], name["description"]) == ("Ada", "Name", "Shown as the heading")
    assert name["x-bindjs"] == {"type": "string", "inspector": {"placeholder": "Full name"}}
    assert schema["properties"]["picture"]["x-bindjs"] == {"type": "asset", "assetTypes": ["image"]}
    assert schema["properties"]["address"]["required"] == ["city"]
    assert schema["properties"]["tags"]["items"]["type"] == "string"


def test_properties_given_as_a_record_work_like_a_function(profile_card):
    as_record = PROFILE_CARD.replace("properties: () => ({", "properties: {").replace("  }),\n  body:", "  },\n  body:")
    assert compile_bindjs(name="ProfileCard", type="view", content=as_record).schema == profile_card.schema


def test_the_body_is_never_run():
    result = compile_bindjs(name="X", type="view", content=bindjs("(() => { throw new Error('ran'); })()"))
    assert result.schema["properties"] == {}


def problems_of(content: str) -> list[tuple]:
    with pytest.raises(CompilationError) as caught:
        compile_bindjs(name="X", type="view", content=content)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def test_a_syntax_error_carries_the_transpilers_line_and_column():
    assert problems_of("const a: number = 1;\nconst b = (;\n") == [(2, 12, "Expression expected")]


def test_a_throw_is_reported_at_its_line_in_the_typescript_source():
    content = "type T = { a: string };\n\nthrow new Error('no ' + ('x' as string));\n" + bindjs()
    assert problems_of(content) == [(3, 7, "Error: no x")]


def test_a_module_without_define_component_as_default_export_is_refused():
    assert problems_of("const x: number = 1;\nexport default { x };\n") == [
        (2, 1, "the default export must be defineComponent({ metadata, properties, body })")
    ]


def test_an_unknown_property_type_is_reported_at_the_property():
    content = bindjs(properties="{\n  a: { type: 'colour' } }")
    assert problems_of(content)[0][2] == "properties.a has an unknown property type 'colour'"


def test_a_default_value_its_own_schema_refuses_is_reported_at_the_helper_call():
    content = bindjs(properties="{\n    n: PropertyNumber({ defaultValue: 'seven' }) }")
    assert problems_of(content) == [(4, 8, "properties.n: defaultValue does not match the property's own schema")]


HOSTILE = {
    "an endless loop": "while (true) {}\n",
    "an endless loop in properties()": bindjs(properties="(() => { for (;;) {} })()"),
    "a 1 GB allocation": "const big = new Uint8Array(1024 ** 3); big.fill(1);\n",
    "a heap that grows without end": "const all: object[] = []; for (;;) all.push({ at: all.length });\n",
    "a 1 GB string": "const s = 'x'.repeat(2 ** 30);\n",
    "overriding Object.prototype": "Object.prototype.toJSON = () => ({ owned: true });\n",
    "patching a built-in": "JSON.stringify = () => '{}';\n",
    "reaching Deno through globalThis": "(globalThis as any).Deno.readTextFileSync('/etc/passwd');\n",
    "fetching": "await fetch('http://127.0.0.1:8000/');\n",
    "reading a file through an import": "import secrets from 'file:///etc/passwd';\nString(secrets);\n",
    "reading a file through node:fs": "import fs from 'node:fs';\nfs.readFileSync('/etc/hostname');\n",
    "importing from the network": "await import('https://esm.sh/lodash');\n",
    "a plain throw": "throw 42;\n",
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_component_is_400_compilation_error_and_nothing_is_stored(make_component, content):
    with pytest.raises(RegistryError) as caught:
        make_component("Hostile", content=content + bindjs())
    assert (caught.value.status, caught.value.code) == (400, "COMPILATION_ERROR")
    [error] = caught.value.details["errors"]
    assert set(error) == {"line", "column", "message"}
    assert not Component.objects.filter(name="Hostile").exists()


def test_the_sandbox_is_bounded_by_its_own_limits_not_by_the_test(monkeypatch):
    monkeypatch.setattr(runner, "CPU_SECONDS", 0.2)
    assert problems_of("for (;;) {}\n" + bindjs()) == [
        (None, None, "evaluation used more than 0.2 s of CPU time (an endless loop?)")
    ]


def test_after_a_hostile_component_the_next_one_compiles(make_component):
    with pytest.raises(RegistryError):
        make_component("Loop", content="while (true) {}\n" + bindjs())
    assert make_component("Fine", content=PROFILE_CARD).title == "Profile card"


# Components stored in the old comment-tag format (compiled by the registry's first compiler).
LEGACY_SOURCE = (
    "// @title Old card\n// @prop title: string\nexport default function OldCard({ title }) { return text(title); }\n"
)
LEGACY_SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}


@pytest.fixture
def legacy_component(project, author):
    """A row as the old compiler left it: source passed through, schema from the tags (no compiler runs)."""
    return Component.objects.create(
        project=project,
        name="OldCard",
        type="view",
        status=ComponentStatus.DRAFT,
        content=LEGACY_SOURCE,
        compiled=LEGACY_SOURCE,
        title="Old card",
        schema=LEGACY_SCHEMA,
        author=author,
    )


def test_a_legacy_component_is_published_as_it_was_stored(legacy_component, publish):
    publish("1.0.0")
    legacy = reload(legacy_component)
    assert (legacy.status, legacy.version) == (ComponentStatus.PUBLISHED, 1)
    snapshot = legacy.versions.get(version=1)
    assert (snapshot.content, snapshot.compiled, snapshot.schema) == (LEGACY_SOURCE, LEGACY_SOURCE, LEGACY_SCHEMA)


def test_resaving_a_legacy_component_compiles_it_with_the_new_compiler(legacy_component, author):
    with pytest.raises(RegistryError) as caught:
        services.update_component(component=legacy_component, tags=["old"], author=author)
    assert caught.value.code == "COMPILATION_ERROR"  # the old format is not BindJS
    assert reload(legacy_component).schema == LEGACY_SCHEMA  # and nothing changed
    services.update_component(component=legacy_component, content=PROFILE_CARD, author=author)
    assert reload(legacy_component).title == "Profile card"


def test_a_published_legacy_version_never_changes_when_the_component_is_rewritten(legacy_component, publish, author):
    publish("1.0.0")
    services.update_component(component=legacy_component, content=PROFILE_CARD, author=author)
    publish("1.1.0")
    versions = {v.version: v for v in reload(legacy_component).versions.all()}
    assert (versions[1].compiled, versions[1].schema) == (LEGACY_SOURCE, LEGACY_SCHEMA)
    assert versions[2].schema["properties"]["name"]["type"] == "string"


def test_the_comment_tag_compiler_can_still_be_chosen(settings):
    settings.REGISTRY_COMPONENT_COMPILER = "components_app.compiler.comment_tag_compiler"
    assert compile_component(name="OldCard", type="view", content=LEGACY_SOURCE).schema == LEGACY_SCHEMA
