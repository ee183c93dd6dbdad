"""BindJS sources for tests that need a component but not a particular one.

``bindjs("card()")`` is a module whose body returns ``card()``: the body is never run by the compiler, so
the text only makes sources differ from one another (and shows in ``compiled``).
"""


def bindjs(body: str = "Text('hello')", *, title: str = "", properties: str = "{}") -> str:
    metadata = f"{{ title: {title!r} }}" if title else "{}"
    return (
        "export default defineComponent({\n"
        f"  metadata: {metadata},\n"
        f"  properties: {properties},\n"
        f"  body: () => {body},\n"
        "});\n"
    )
