from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packages_app.indexing.malloy import (
    MAX_SNIPPET,
    MAX_STATEMENT_DOC,
    MAX_STATEMENT_TAGS,
    parse_malloy,
    parse_notebook,
    tokenize,
)

MODELS = Path(__file__).parent / "models"


@pytest.fixture(scope="module")
def flights():
    return parse_malloy((MODELS / "flights.malloy").read_text())


def find(outline, kind, name):
    matches = [symbol for symbol in outline.symbols if symbol.kind == kind and symbol.name == name]
    assert len(matches) == 1, f"{kind} {name}: {matches}"
    return matches[0]


def test_tokenizer_keeps_braces_inside_strings_as_one_token():
    tokens = tokenize("route is concat(origin, '->{', `odd}name`, \"}\")")
    assert [t.value for t in tokens if t.kind == "string"] == ["'->{'", "`odd}name`", '"}"']
    assert not any(t.kind == "punct" and t.value in "{}" for t in tokens)


def test_tokenizer_skips_all_three_comment_styles_and_counts_their_lines():
    tokens = tokenize("// a { \n-- b }\n/* c {\n d */ source")
    assert [(t.value, t.line) for t in tokens] == [("source", 4)]


def test_tokenizer_reads_annotations_to_the_end_of_the_line():
    tokens = tokenize("#(doc) Orders { placed }\nsource: x")
    assert tokens[0].kind == "annotation"
    assert tokens[0].value == "#(doc) Orders { placed }"


def test_model_level_doc_and_compiler_flags_are_kept_apart(flights):
    assert flights.doc == "Flight models for the airline analytics package"
    assert flights.annotations == ["##! experimental.parameters"]


def test_both_import_forms_are_found_with_their_names(flights):
    assert [(s.name, s.line, s.data["names"]) for s in flights.of_kind("import")] == [
        ("airports.malloy", 3, []),
        ("shared/reference.malloy", 4, ["carriers", "aircraft"]),
    ]


def test_exports_list_the_named_surface(flights):
    assert flights.names("export") == ["flights", "long_flights"]


def test_keywords_in_comments_and_strings_define_nothing(flights):
    names = {symbol.name for symbol in flights.symbols}
    assert not names & {"fake", "not_a_view", "commented_out", "also_commented", "hidden"}


def test_top_level_sources_with_base_doc_and_tags(flights):
    source = find(flights, "source", "flights")
    assert (source.line, source.parent) == (14, None)
    assert source.doc == "Every scheduled flight, one row per leg"
    assert source.data == {"base": "duckdb.table('data/flights.parquet')", "tags": ["bar_chart"]}
    assert find(flights, "source", "long_flights").data["base"] == "flights"


def test_source_parameters_are_given_entries_of_their_source(flights):
    givens = [(s.name, s.data["type"], s.parent.name) for s in flights.of_kind("given") if s.parent]
    assert givens == [("min_distance", "number", "flights"), ("carrier_filter", "string", "flights")]


def test_a_given_statement_is_found_with_its_type(flights):
    region = find(flights, "given", "region")
    assert (region.line, region.parent, region.data["type"]) == (57, None, "string")


def test_dimensions_on_several_lines_and_after_commas_belong_to_their_source(flights):
    dimensions = [(s.name, s.line, s.parent.name) for s in flights.of_kind("dimension")]
    assert dimensions == [
        ("distance_band", 24, "flights"),
        ("route", 25, "flights"),
        ("is_long", 26, "flights"),
        ("is_short", 26, "flights"),
    ]


def test_doc_annotation_inside_a_statement_applies_to_the_next_definition_only(flights):
    assert find(flights, "dimension", "distance_band").doc == "The distance band, in 500 mile steps"
    assert find(flights, "dimension", "route").doc == ""


def test_measures_from_each_measure_statement(flights):
    assert [(s.name, s.line) for s in flights.of_kind("measure")] == [
        ("flight_count", 28),
        ("total_distance", 28),
        ("avg_delay", 31),
    ]


def test_views_belong_to_the_source_whose_braces_enclose_them(flights):
    views = [(s.name, s.line, s.parent.name) for s in flights.of_kind("view")]
    assert views == [
        ("by_carrier", 34, "flights"),
        ("top_routes", 44, "flights"),
        ("delayed", 49, "flights"),
        ("by_distance", 54, "long_flights"),
    ]
    assert find(flights, "view", "by_carrier").doc == "Flights per carrier, busiest first"


def test_nested_views_inside_a_view_are_not_mistaken_for_source_views(flights):
    assert "by_month" not in flights.names("view")
    assert "dep_month" not in flights.names("dimension")


def test_joins_with_and_without_is(flights):
    joins = [(s.name, s.data["cardinality"], s.data["target"]) for s in flights.of_kind("join")]
    assert joins == [
        ("carriers", "one", "carriers"),
        ("legs", "many", "duckdb.table('data/legs.csv')"),
        ("dest", "one", "airports"),
    ]


def test_named_queries_record_their_source_and_view(flights):
    busiest = find(flights, "query", "busiest_carriers")
    assert (busiest.line, busiest.doc) == (60, "The carriers that flew most")
    assert busiest.data == {"source": "flights", "view": "by_carrier"}
    assert find(flights, "query", "custom").data == {"source": "flights"}


def test_runs_are_known_by_their_text(flights):
    assert [(s.name, s.line, s.data.get("source")) for s in flights.of_kind("run")] == [
        ("long_flights -> by_distance", 66, "long_flights"),
        ("flights -> { aggregate: flight_count }", 67, "flights"),
    ]


def test_an_is_null_comparison_is_not_a_definition():
    outline = parse_malloy("source: s is t extend {\n  dimension:\n    missing is\n      x is null\n}\n")
    assert outline.names("dimension") == ["missing"]


def test_unbalanced_braces_and_unterminated_strings_do_not_raise():
    outline = parse_malloy("source: a is t extend {\n  dimension: b is 'oops\n  view: v is {\n")
    assert outline.names("source") == ["a"]
    assert outline.names("dimension") == ["b"]


# How long the parser takes on the huge inputs below is measured by bench/hostile_inputs.py.


def test_a_one_megabyte_line_of_runs_parses_up_to_the_indexing_cap():
    text = "run: a " * (1_000_000 // 7)
    outline = parse_malloy(text, max_symbols=10_000)
    assert (len(outline.symbols), outline.truncated) == (10_000, True)


@pytest.mark.parametrize(
    "statement",
    [
        "run: a ",
        "source: a is b ",
        "given: a :: t ",
        "query: q is a -> v ",
        "source: s is t extend { join_one: a is b ",
    ],
)
def test_many_statements_on_one_huge_line_are_all_read_with_their_text_cut_to_the_snippet_size(statement):
    # 100 KB on one line: searching or slicing to the end of the line for each statement once took a minute.
    text = statement * (100_000 // len(statement))
    outline = parse_malloy(text)
    assert len(outline.symbols) >= 100_000 // len(statement)
    assert all(len(symbol.name) <= MAX_SNIPPET for symbol in outline.symbols)
    assert all(
        len(value) <= MAX_SNIPPET
        for symbol in outline.symbols
        for value in symbol.data.values()
        if isinstance(value, str)
    )


def test_text_kept_from_one_huge_line_is_cut_to_the_snippet_size():
    outline = parse_malloy("run: flights -> " + "x " * 20_000 + "\nsource: s is duckdb.sql('" + "y " * 20_000 + "')")
    run = outline.of_kind("run")[0]
    assert run.name == ("flights -> " + "x " * 200)[:MAX_SNIPPET].strip()
    assert run.data == {"source": "flights", "view": "x"}
    assert outline.of_kind("source")[0].data["base"] == ("duckdb.sql('" + "y " * 200)[:MAX_SNIPPET].strip()


def test_short_run_names_and_bases_are_kept_whole():
    outline = parse_malloy("run: flights -> by_carrier\nsource: s is duckdb.table('s.parquet') extend {}\n")
    assert outline.of_kind("run")[0].name == "flights -> by_carrier"
    assert outline.of_kind("source")[0].data["base"] == "duckdb.table('s.parquet')"


def test_max_symbols_keeps_the_first_ones_and_says_the_outline_was_truncated():
    text = "source: s is t extend {\n  dimension:\n" + "    d is 1\n" * 5 + "}\n"
    assert [len(parse_malloy(text, max_symbols=limit).symbols) for limit in (0, 3, 6, 7)] == [0, 3, 6, 6]
    assert [parse_malloy(text, max_symbols=limit).truncated for limit in (0, 3, 6, 7)] == [True, True, False, False]
    assert parse_malloy(text).truncated is False


def test_max_symbols_of_a_notebook_bounds_all_its_cells_together():
    cells = parse_notebook(">>>malloy\nrun: a\nrun: b\n>>>malloy\nrun: c\n>>>malloy\nrun: d\n", max_symbols=3)
    assert [len(cell.outline.symbols) for cell in cells] == [2, 1, 0]
    assert [cell.outline.truncated for cell in cells] == [False, False, True]


def test_docs_and_tags_before_a_statement_reach_each_definition_capped():
    text = (
        "source: s is t extend {\n"
        + "#(doc) shared\n" * 5_000
        + "# tag\n" * 500
        + "dimension:\n"
        + "#(doc) own\n# mine\nd is 1\n" * 3_000
        + "}\n"
    )
    outline = parse_malloy(text)
    dimension = outline.of_kind("dimension")[-1]
    assert dimension.doc == ("\n".join(["shared"] * 5_000))[:MAX_STATEMENT_DOC] + "\nown"
    assert dimension.data["tags"] == ["tag"] * MAX_STATEMENT_TAGS
    small = parse_malloy("source: s is t extend {\n#(doc) a\n# t\ndimension:\n#(doc) b\n# u\nx is 1\ny is 2\n}")
    small = small.of_kind("dimension")
    assert [(symbol.doc, symbol.data["tags"]) for symbol in small] == [("a\nb", ["t", "u"]), ("a", ["t"])]


def test_model_docs_are_joined_once_skipping_empty_ones():
    assert parse_malloy("##(doc) a\n##(doc)\n##(doc)   b  \n").doc == "a\nb"
    assert parse_malloy("##(doc) line\n" * 200_000).doc == "\n".join(["line"] * 200_000)


def test_the_demo_model_outline():
    from packages_app.demo import DEFAULT_MODEL

    outline = parse_malloy(DEFAULT_MODEL.format(name="shop"))
    assert outline.names("source") == ["orders"]
    assert find(outline, "source", "orders").doc == "Orders placed in the shop store"
    assert outline.names("measure") == ["order_count", "revenue"]
    assert find(outline, "view", "by_month").doc == "Revenue by month"
    assert outline.names("query") == ["top_months"]


def test_notebook_cells_with_languages_lines_and_what_they_use():
    cells = parse_notebook((MODELS / "overview.malloynb").read_text())
    assert [(c.index, c.language, c.line) for c in cells] == [
        (1, "markdown", 1),
        (2, "malloy", 4),
        (3, "malloy", 6),
        (4, "markdown", 9),
        (5, "malloy", 11),
    ]
    assert cells[0].outline is None
    assert cells[1].outline.names("import") == ["flights.malloy"]
    assert cells[2].outline.uses() == ["flights", "by_carrier"]
    assert cells[2].outline.of_kind("run")[0].doc == "Busiest carriers"
    assert cells[4].outline.uses() == ["long_flights", "by_distance"]


MALLOY_ALPHABET = (
    "source:view:measure:dimension:join_one:query:run:given:import export is extend {}()[],;'\"`#(doc)\n -/*>:x1"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=MALLOY_ALPHABET, max_size=300))
def test_any_text_parses_without_raising_and_lines_stay_in_range(text):
    outline = parse_malloy(text)
    lines = text.count("\n") + 1
    assert all(1 <= symbol.line <= lines for symbol in outline.symbols)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_any_notebook_text_parses_without_raising(text):
    cells = parse_notebook(text)
    assert [cell.index for cell in cells] == list(range(1, len(cells) + 1))


def test_a_digit_outside_ascii_is_punctuation_not_a_crash():
    tokens = tokenize("dimension: area is side ² 2")
    assert [(t.kind, t.value) for t in tokens[-2:]] == [("punct", "²"), ("number", "2")]


def test_an_unclosed_quote_ends_at_its_line_and_the_lines_after_it_count_right():
    tokens = tokenize("label is 'unclosed\nsource: flights is duckdb.table('f.parquet')")
    assert (tokens[2].kind, tokens[2].value) == ("string", "'unclosed")  # up to the end of its line
    assert (tokens[3].value, tokens[3].line, tokens[3].line_start) == ("source", 2, True)


def test_a_new_line_escaped_inside_a_quoted_string_is_still_counted():
    tokens = tokenize("a is 'one\\\ntwo'\nsource: x")
    assert tokens[2].value == "'one\\\ntwo'"
    assert next(t for t in tokens if t.value == "source").line == 3


def test_a_model_with_a_unicode_digit_outlines_its_sources():
    outline = parse_malloy("source: squares is duckdb.table('s') extend {\n  dimension: area is side ² 2\n}\n")
    assert outline.names("source") == ["squares"]
    assert outline.names("dimension") == ["area"]
