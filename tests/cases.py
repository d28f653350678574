"""The shared, engine-independent case table: patterns with strings that must and must not match.

Every engine test (DFA, token index, decoding) draws from `CASES`. The expectations are those of
`re.fullmatch(pattern, text, re.ASCII)`; `tests/automaton/dfa/test_oracle.py` checks the table
itself against `re`, so a wrong entry fails loudly instead of testing nothing.

    Case(name, pattern, matching, non_matching)
        name: str             unique, usable as a pytest id
        pattern: str          Python regex syntax
        matching: tuple[str]  full matches
        non_matching: tuple[str]   strings that are not full matches (near misses where possible)
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["Case", "CASES", "BENCH_PATTERNS", "case_by_name"]


class Case(NamedTuple):
    name: str
    pattern: str
    matching: tuple[str, ...]
    non_matching: tuple[str, ...]


# The patterns of bench/patterns.py (`all_patterns()`), copied so that the tests do not import the
# benchmarks; tests/automaton/dfa/test_oracle.py checks the copy against that file.
BENCH_PATTERNS: dict[str, str] = {
    'seed_json': '\\{\\s*"action":\\s*"Final Answer",\\s*"action_input":\\s*(\\{.*\\}|"[^"]*")\\s*\\}\\nHuman:',
    'email': '[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}',
    'datetime': '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z',
    'ipv4': '((25[0-5]|2[0-4]\\d|[01]?\\d\\d?)\\.){3}(25[0-5]|2[0-4]\\d|[01]?\\d\\d?)',
    'phone': '\\(\\d{3}\\) \\d{3}-\\d{4}',
    'bounded_200': '[a-zA-Z ]{10,200}',
    'person_schema': (
        '\\{[ ]?"name"[ ]?:[ ]?"([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt]){0,40}"'
        '[ ]?,[ ]?"age"[ ]?:[ ]?(-)?(0|[1-9][0-9]*)'
        '[ ]?,[ ]?"email"[ ]?:[ ]?"(?:[a-z0-9!#$%&\'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&\'*+/=?^_`{|}~-]+)*'
        '|"(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x21\\x23-\\x5b\\x5d-\\x7f]'
        '|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])*")@(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9]'
        '(?:[a-z0-9-]*[a-z0-9])?|\\[(?:(?:(2(5[0-5]|[0-4][0-9])|1[0-9][0-9]|[1-9]?[0-9]))\\.){3}(?:(2(5[0-5]'
        '|[0-4][0-9])|1[0-9][0-9]|[1-9]?[0-9])'
        '|[a-z0-9-]*[a-z0-9]:(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x21-\\x5a\\x53-\\x7f]'
        '|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])+)\\])"[ ]?,[ ]?"role"[ ]?:[ ]?("admin"|"user"|"guest")'
        '[ ]?,[ ]?"active"[ ]?:[ ]?(true|false)'
        '[ ]?,[ ]?"tags"[ ]?:[ ]?\\[[ ]?(("([^"\\\\\\x00-\\x1F\\x7F-\\x9F]'
        '|\\\\["\\\\/bfnrt])*")(,[ ]?("([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*")){0,4})?[ ]?\\]'
        '[ ]?,[ ]?"address"[ ]?:[ ]?\\{[ ]?"street"[ ]?:[ ]?"([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*"'
        '[ ]?,[ ]?"city"[ ]?:[ ]?"([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*"'
        '[ ]?,[ ]?"zip"[ ]?:[ ]?("[0-9]{5}")[ ]?\\}[ ]?\\}'
    ),
}

C = Case
CASES: list[Case] = [
    # literals
    C("literal", r"abc", ("abc",), ("", "ab", "abcd", "abd", "ABC")),
    C("literal_space", r"hello world", ("hello world",), ("hello  world", "helloworld")),
    C("empty_pattern", r"", ("",), ("a", " ")),
    C("escaped_metachars", r"a\.b\*c\+\?\(\)\[\]\{\}\|\^\$\\", ("a.b*c+?()[]{}|^$\\",), ("axb*c+?()[]{}|^$\\",)),
    C("literal_braces", r"a{b}c{}", ("a{b}c{}",), ("abc", "a{b}c")),
    C("hex_octal_escapes", r"\x41\101\0\t\n", ("AA\x00\t\n",), ("AA0\t\n", "AA\x00 \n")),
    C("unicode_escapes", r"\u00e9\U0001F600\N{SNOWMAN}", ("é😀☃",), ("e😀☃", "é😀")),
    # classes and negations
    C("class", r"[abc]+", ("a", "cab", "bbbb"), ("", "abcd", "A")),
    C("class_ranges", r"[a-z0-9_]*", ("", "snake_case_9"), ("Camel", "a-b")),
    C("negated_class", r"[^abc]", ("d", "Z", "\n", "é", "😀"), ("a", "", "dd")),
    C("negated_range", r"[^a-z]+", ("ABC", "123", "日本"), ("aB", "")),
    C("digits", r"\d+", ("0", "0123456789"), ("", "12a", "٣")),
    C("word", r"\w+", ("abc_XYZ_019",), ("a-b", "é", "")),
    C("space", r"\s*", ("", " \t\n\r\x0b\x0c"), ("a", "\xa0")),
    C("negated_escapes", r"\D\W\S", ("a-x", "é!é"), ("1-x", "a_x", "a- ")),
    C("class_with_escapes", r"[\d\s]+", ("1 2\t3",), ("1a",)),
    C("double_negation", r"[^\W\d]+", ("abc_", "Z"), ("a1", "é", "")),
    C("bracket_first", r"[]a]+", ("]a]", "a"), ("b", "")),
    C("dash_last", r"[a-]+", ("a-a", "-"), ("b",)),
    C("escaped_in_class", r"[\]\\\-^]+", ("]\\-^",), ("a",)),
    C("backspace_in_class", r"[\b]", ("\x08",), ("b", "\\")),
    C("negated_latin1", r"[^\x00-\xff]+", ("Ā日😀", "\U0010ffff"), ("a", "Āa", "é")),
    C("everything_but_newline", r"[^\n]*", ("", "any thing 日本 😀"), ("a\nb",)),
    # dot and flags
    C("dot", r"a.c", ("abc", "a c", "aéc", "a😀c"), ("ac", "a\nc", "abbc")),
    C("dotall", r"(?s)a.c", ("a\nc", "abc"), ("ac",)),
    C("dotall_scoped", r"(?s:.)(?-s:.)?", ("\n", "\na"), ("\n\n",)),
    C("dot_star", r".*", ("", "anything at all 😀"), ("line\nbreak",)),
    C("ignorecase", r"(?i)hello", ("hello", "HeLLo", "HELLO"), ("helo", "hello!")),
    C("ignorecase_class", r"(?i)[a-c]+x", ("AbCx", "aX"), ("dx", "")),
    C("ignorecase_negated", r"(?i)[^a-z]+", ("123", "-_"), ("A", "z")),
    C("ignorecase_ascii_only", r"(?i)é", ("é",), ("É",)),
    C("ignorecase_scoped", r"a(?i:b)c", ("abc", "aBc"), ("ABC", "abC")),
    C("ignorecase_turned_off", r"(?i)a(?-i:b)", ("ab", "Ab"), ("aB", "AB")),
    C("multiline_flag", r"(?m)ab", ("ab",), ("a",)),
    C("ascii_flag", r"(?a)\w+", ("abc",), ("é",)),
    # alternation and groups
    C("alternation", r"cat|dog|bird", ("cat", "dog", "bird"), ("ca", "catdog", "")),
    C("alternation_in_group", r"a(b|c)d", ("abd", "acd"), ("ad", "abcd")),
    C("overlapping_alternatives", r"(ab|a)(bc|c)", ("abc", "abbc"), ("ab", "abcc")),
    C("empty_alternative", r"a(|b)c", ("ac", "abc"), ("abbc",)),
    C("nested_groups", r"((a|b)c)*d", ("d", "acd", "acbcd"), ("cd", "abd")),
    C("nested_optional", r"(?:x(?:y(?:z)?)?)?", ("", "x", "xy", "xyz"), ("y", "xz")),
    C("named_groups", r"(?P<year>\d{4})-(?P<month>\d\d)", ("2024-05",), ("24-05", "2024-5")),
    C("comment_group", r"a(?#this is ignored)b", ("ab",), ("a", "a(?#this is ignored)b")),
    # repeats
    C("exact_repeat", r"a{3}", ("aaa",), ("aa", "aaaa")),
    C("bounded_repeat", r"a{2,4}", ("aa", "aaa", "aaaa"), ("a", "aaaaa")),
    C("open_repeat", r"a{2,}", ("aa", "a" * 50), ("a",)),
    C("upto_repeat", r"a{,3}", ("", "aaa"), ("aaaa",)),
    C("zero_repeat", r"ab{0}c", ("ac",), ("abc",)),
    C("group_repeat", r"(ab){1,3}", ("ab", "ababab"), ("", "aba", "abababab")),
    C("lazy_quantifiers", r"x*?y+?z??w{1,2}?", ("yw", "xxyyzww"), ("xzw", "yzzw")),
    C("classic_nfa", r"(a|b)*abb", ("abb", "babb", "aababb"), ("ab", "abba")),
    C("nullable_star", r"(a?)*b", ("b", "aab"), ("a",)),
    C("star_of_star", r"(a*b)*c", ("c", "abaabc"), ("ab", "ac")),
    C("plus_of_group", r"(ab|cd)+", ("ab", "cdab"), ("", "abc")),
    C("long_bounded", r"[a-zA-Z ]{10,20}", ("hello world", "x" * 20), ("short", "x" * 21)),
    # anchors that are accepted
    C("anchored", r"^abc$", ("abc",), ("abc\n", "xabc")),
    C("anchored_A_Z", r"\Aabc\Z", ("abc",), ("abcd",)),
    C("anchor_after_flags", r"(?i)^abc", ("ABC",), ("xabc",)),
    # Unicode
    C("greek_range", r"[α-ω]+", ("αβγ", "ω"), ("Α", "a", "")),
    C("greek_then_digit", r"[α-ω]+\d", ("αβ1",), ("αβ", "ab1")),
    C("japanese", r"日本語", ("日本語",), ("日本", "日本語語")),
    C("japanese_class", r"[日本]+語?", ("日", "本日語"), ("語", "日語語")),
    C("emoji_plus", r"😀+", ("😀", "😀😀😀"), ("", "😃")),
    C("emoji_range", r"[😀-😂]{2}", ("😀😂", "😁😁"), ("😀", "😃😀")),
    C("accented", r"naïve|café", ("naïve", "café"), ("naive", "cafe")),
    C("negated_greek", r"[^α-ω]{2}", ("ab", "ΑΒ", "日😀"), ("aβ", "a")),
    C("non_ascii_run", r"[^\x00-\x7f]+", ("é日😀",), ("éa", "")),
    C("mixed_scripts", r"(Ω|ω)\w+=[ä-ü]{1,2}", ("Ωab=ä", "ωx_=üü"), ("Ω=ä", "ωx=a")),
    C("surrogate_class", r"[\ud800-\udfff]?x", ("x",), ("yx",)),
    C("four_byte_edges", r"[^\x00-\uffff]", ("\U00010000", "\U0010ffff", "😀"), ("\uffff", "a")),
    C("two_three_byte_edges", r"[\u0080-\u07ff][\u0800-\uffff]", ("\u0080\u0800", "\u07ff\uffff"), ("\u007f\u0800",)),
    # JSON-like
    C("json_pair", r'\{"key": "[^"]*"\}', ('{"key": ""}', '{"key": "v a l"}'), ('{"key": "a"b"}', '{"key":""}')),
    C("json_string", r'"([^"\\]|\\.)*"', ('""', '"a\\"b"', '"日本"'), ('"a"b"', '"\\"')),
    C("json_int_array", r"\[(\d+(,\d+)*)?\]", ("[]", "[1]", "[1,22,333]"), ("[1,]", "[,1]")),
    C("json_literals", r"true|false|null", ("true", "null"), ("True", "nul")),
    C(
        "json_number",
        r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?",
        ("0", "-12", "3.14", "6.02e23", "1E-9"),
        ("01", "1.", ".5", "1e", "--1"),
    ),
    C("json_object", r'\{("\w+": ?\d+(, "\w+": ?\d+)*)?\}', ('{}', '{"a": 1, "b":2}'), ('{a: 1}', '{"a": 1,}')),
    # dates, times, numbers
    C("iso_date", r"\d{4}-\d{2}-\d{2}", ("2024-01-31",), ("2024-1-31", "2024-01-31T")),
    C("us_date", r"(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/\d{4}",
      ("12/31/1999", "01/01/2000"), ("13/01/2000", "00/10/2000")),
    C("time_24h", r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", ("23:59", "00:00:00"), ("24:00", "12:60")),
    C("signed_int", r"[+-]?\d+", ("+1", "-0", "42"), ("+", "4-2")),
    C("hex_number", r"0[xX][0-9a-fA-F]+", ("0xff", "0XDEAD"), ("0x", "0xg")),
    C("decimal", r"\d+\.\d{2}", ("10.00",), ("10.0", "10,00")),
    C("percentage", r"(100|[1-9]?\d)%", ("0%", "99%", "100%"), ("101%", "05%")),
    C("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
      ("123e4567-e89b-12d3-a456-426614174000",), ("123e4567-e89b-12d3-a456-42661417400",)),
]

# The benchmark patterns, with strings written for each.
_BENCH_EXAMPLES = {
    "seed_json": (
        ('{"action": "Final Answer", "action_input": "42"}\nHuman:',
         '{ "action":"Final Answer",\n "action_input": {"a": 1} }\nHuman:'),
        ('{"action": "Final Answer", "action_input": 42}\nHuman:', '{"action": "Final Answer", "action_input": "42"}'),
    ),
    "email": (("john.doe@example.com", "a+b@x-y.io"), ("john@example", "John@example.com", "@x.io")),
    "datetime": (("2024-01-31T23:59:59Z",), ("2024-01-31 23:59:59Z", "2024-01-31T23:59:59")),
    "ipv4": (("192.168.0.1", "255.255.255.255", "0.0.0.0"), ("256.1.1.1", "1.2.3", "1.2.3.4.5")),
    "phone": (("(555) 123-4567",), ("555-123-4567", "(555)123-4567")),
    "bounded_200": (("hello world", "x" * 200), ("short", "x" * 201, "hello_world")),
    "person_schema": (
        (
            '{"name": "Ann", "age": 30, "email": "ann@example.com", "role": "admin", "active": true, '
            '"tags": ["a", "b"], "address": {"street": "Main 1", "city": "Oslo", "zip": "12345"}}',
            '{"name":"Zoë","age":-0,"email":"x@y.z","role":"guest","active":false,"tags":[],'
            '"address":{"street":"","city":"日本","zip":"00000"}}',
        ),
        (
            '{"name": "Ann", "age": 30, "email": "ann@example.com", "role": "root", "active": true, '
            '"tags": [], "address": {"street": "Main 1", "city": "Oslo", "zip": "12345"}}',
            '{"name": "Ann", "age": 030, "email": "ann@example.com", "role": "admin", "active": true, '
            '"tags": [], "address": {"street": "Main 1", "city": "Oslo", "zip": "12345"}}',
        ),
    ),
}
for _name, _pattern in BENCH_PATTERNS.items():
    _matching, _non_matching = _BENCH_EXAMPLES.get(_name, ((), ()))
    CASES.append(Case(f"bench_{_name}", _pattern, _matching, _non_matching))
CASES.append(Case("explosion_13", r"[ab]*a[ab]{13}", ("a" + "b" * 13, "bbba" + "a" * 13), ("a" + "b" * 12, "b" * 14)))

_names = [case.name for case in CASES]
if len(set(_names)) != len(_names):
    raise ValueError("case names must be unique")


def case_by_name(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(name)
