"""Range header parsing agrees with RFC 9110 byte-range semantics (property-based)."""

from hypothesis import given
from hypothesis import strategies as st

from packages_app.api.views import parse_range

sizes = st.integers(min_value=1, max_value=10_000)
offsets = st.integers(min_value=0, max_value=20_000)


@given(size=sizes, first=offsets, last=offsets)
def test_a_closed_range_is_clamped_to_the_file_or_refused(size, first, last):
    result = parse_range(f"bytes={first}-{last}", size)
    if last < first:
        assert result is None  # invalid: ignored, the whole file is sent
    elif first >= size:
        assert result is False  # unsatisfiable: 416
    else:
        assert result == (first, min(last, size - 1))


@given(size=sizes, first=offsets)
def test_an_open_range_runs_to_the_end(size, first):
    assert parse_range(f"bytes={first}-", size) == ((first, size - 1) if first < size else False)


@given(size=sizes, suffix=st.integers(min_value=1, max_value=20_000))
def test_a_suffix_range_is_the_last_bytes(size, suffix):
    start, end = parse_range(f"bytes=-{suffix}", size)
    assert (start, end) == (max(size - suffix, 0), size - 1)


@given(header=st.text(max_size=30))
def test_any_other_header_is_ignored_or_parsed_never_an_error(header):
    result = parse_range(header, 100)
    assert result is None or result is False or (0 <= result[0] <= result[1] < 100)


def test_several_ranges_are_ignored():
    assert parse_range("bytes=0-1, 5-6", 100) is None
