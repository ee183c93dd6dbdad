"""Compile-time benchmark of the BindJS compiler: N components (500 by default), each different, compiled
one after another as a component save does; prints the median, p90, p99 and max time per component.

Each compile starts a Deno process (transpile, lock down, evaluate, read the definition), so the figure is
dominated by process start-up; it is the latency a component save adds. Run:

    .venv/bin/python bench/compile_components.py [N]
"""

import os
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from components_app.bindjs import compile_bindjs

HELPERS = [
    'PropertyString({ title: "Text", required: true, defaultValue: "hello", validation: { maxLength: 80 } })',
    'PropertyNumber({ title: "Count", defaultValue: 3, validation: { min: 0, max: 10 } })',
    'PropertyBoolean({ title: "On", defaultValue: false })',
    'PropertyEnum({ title: "Tone", options: ["light", "dark"], defaultValue: "light" })',
    'PropertyDate({ title: "When" })',
    'PropertyArray({ title: "Items", valueType: PropertyString({}) })',
    'PropertyGroup({ title: "Box", properties: { a: PropertyString({}), b: PropertyNumber({}) } })',
    'PropertyAsset({ title: "Image", assetTypes: ["image"] })',
    'PropertyContent({ title: "Article", contentTypes: ["article"] })',
    'PropertyComponent({ title: "Slot", allowedComponents: ["Button"] })',
]


def source(n: int) -> str:
    """A component of 4 to 13 properties, typed props, an interface and an enum: different for every n."""
    count = 4 + n % 10
    properties = ",\n".join(f"    p{i}: {HELPERS[(n + i) % len(HELPERS)]}" for i in range(count))
    return (
        f"interface Props{n} {{ p0: unknown; label: string }}\n"
        f"enum Variant{n} {{ A = 'a', B = 'b' }}\n"
        "export default defineComponent({\n"
        f"  metadata: {{ title: 'Component {n}', description: 'Benchmark component number {n}.' }},\n"
        f"  properties: {{\n{properties},\n  }},\n"
        f"  body: (props: Props{n}) => VStack([Text(props.label), Text(Variant{n}.A)]),\n"
        "});\n"
    )


def main(count: int) -> None:
    compile_bindjs(name="Warmup", type="view", content=source(0))  # the first Deno start reads its binary
    times = []
    for n in range(count):
        started = time.perf_counter()
        result = compile_bindjs(name=f"C{n}", type="view", content=source(n))
        times.append(time.perf_counter() - started)
        assert result.title == f"Component {n}", result.title
    times.sort()

    def pick(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] * 1000

    print(f"BindJS compile, {count} components, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"  median {statistics.median(times) * 1000:7.1f} ms")
    print(f"  p90    {pick(0.90):7.1f} ms")
    print(f"  p99    {pick(0.99):7.1f} ms")
    print(f"  max    {times[-1] * 1000:7.1f} ms")
    print(f"  total  {sum(times):7.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
