// Reads one BindJS component and answers what the registry needs from it, in a Deno process started with
// no permissions (no network, no file system, no environment, no subprocesses; see runner.py).
//
// stdin: a nonce line, then the TypeScript source. stdout: the nonce followed by one JSON object, either
// {ok: true, compiled, metadata, properties, at} or {ok: false, phase, errors: [{line, column, message}]}.
// The nonce keeps anything the component might print from passing for the answer.
//
// Order matters: the source is transpiled (Deno's own TypeScript stripping), then the global scope is
// locked down (host objects removed, every built-in frozen), and only then is the module evaluated.
// Frozen built-ins also keep this harness honest: the component cannot patch JSON, Object or Array under it.
import { stripTypeScriptTypes } from "node:module";
import { helpers, isComponent, isDescriptor } from "./prelude.js";

const host = Deno;
const encoder = new TextEncoder();
const input = await new Response(host.stdin.readable).text();
const newline = input.indexOf("\n");
const nonce = input.slice(0, newline);
const source = input.slice(newline + 1);
const LOCATION = /stripTypeScriptTypes\.ts:(\d+):(\d+)/;
const DATA_LOCATION = /data:text\/javascript\S*:(\d+):(\d+)/; // a module that never loaded has no source map yet
const MAX_NODES = 20000;
const MAX_DEPTH = 32;
const MAX_ANSWER = 4 * 1024 * 1024;

function answer(result) {
  let text = JSON.stringify(result);
  if (text.length > MAX_ANSWER) {
    text = JSON.stringify(failure("evaluate", null, `the component's definition is larger than ${MAX_ANSWER} bytes`));
  }
  const bytes = encoder.encode(`${nonce}${text}\n`);
  let written = 0;
  while (written < bytes.length) written += host.stdout.writeSync(bytes.subarray(written));
  host.exit(0);
}

function failure(phase, at, message) {
  return { ok: false, phase, errors: [{ line: at ? at[0] : null, column: at ? at[1] : null, message }] };
}

function describe(error) {
  try {
    if (error instanceof Error) {
      const stack = String(error.stack);
      const message = String(error.message).split("\n")[0];
      return [`${error.name}: ${message}`, LOCATION.exec(stack) ?? DATA_LOCATION.exec(stack)];
    }
    return [`Uncaught ${typeof error === "object" ? "object" : String(error)}`, null];
  } catch {
    return ["Uncaught exception", null];
  }
}

function at(match) {
  return match ? [Number(match[1]), Number(match[2])] : null;
}

// 1. Transpile. Syntax errors carry the transpiler's line and column.
let compiled;
let runnable;
try {
  runnable = stripTypeScriptTypes(source, { mode: "transform", sourceMap: true });
  compiled = runnable.replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/, "\n");
} catch (error) {
  const message = String(error?.message ?? error);
  const first = message.split("\n")[0].replace(/^SyntaxError: /, "");
  answer(failure("transpile", at(LOCATION.exec(message)), first));
}

// 2. Lock down: keep the language's own globals, remove the host's, add ours, freeze everything reachable.
const KEEP = new Set(
  (
    "Object Function Array Number parseFloat parseInt Infinity NaN undefined Boolean String Symbol Date Promise " +
    "RegExp Error AggregateError EvalError RangeError ReferenceError SyntaxError TypeError URIError SuppressedError " +
    "globalThis JSON Math Intl ArrayBuffer Uint8Array Int8Array Uint16Array Int16Array Uint32Array Int32Array " +
    "BigUint64Array BigInt64Array Uint8ClampedArray Float16Array Float32Array Float64Array DataView Map BigInt Set " +
    "Iterator WeakMap WeakSet Proxy Reflect decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape " +
    "eval isFinite isNaN DisposableStack AsyncDisposableStack Temporal TextEncoder TextDecoder URL URLSearchParams " +
    "atob btoa structuredClone"
  ).split(" "),
);
globalThis.addEventListener("unhandledrejection", (event) => event.preventDefault());
for (const name of Object.getOwnPropertyNames(globalThis)) {
  if (!KEEP.has(name)) {
    try {
      delete globalThis[name];
    } catch {
      // a non-configurable global stays, frozen like the rest
    }
  }
}
const quiet = () => undefined;
const console = {};
for (const name of ["log", "info", "warn", "error", "debug", "trace", "dir", "table"]) console[name] = quiet;
Object.defineProperty(globalThis, "console", { value: console });
for (const [name, value] of Object.entries(helpers)) Object.defineProperty(globalThis, name, { value });

const seen = new WeakSet();
function harden(root) {
  const pending = [root];
  while (pending.length) {
    const value = pending.pop();
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) continue;
    seen.add(value);
    Object.freeze(value);
    pending.push(Object.getPrototypeOf(value));
    for (const key of Reflect.ownKeys(value)) {
      const property = Reflect.getOwnPropertyDescriptor(value, key);
      if (property) pending.push(property.value, property.get, property.set);
    }
  }
}
const hidden = [
  function* () {},
  async function () {},
  async function* () {},
  (function* () {})(),
  (async function* () {})(),
  [][Symbol.iterator](),
  new Map().entries(),
  new Set().values(),
  ""[Symbol.iterator](),
  /x/[Symbol.matchAll](""),
  Object.getPrototypeOf(Uint8Array),
];
// globalThis itself stays extensible (Deno's own exit and event machinery write to it); what it holds is frozen.
seen.add(globalThis);
for (const key of Reflect.ownKeys(globalThis)) {
  const property = Reflect.getOwnPropertyDescriptor(globalThis, key);
  for (const value of [property.value, property.get, property.set]) harden(value);
}
for (const value of hidden) harden(value);

// 3. Evaluate the module. Its stack frames point into the TypeScript source through the inline source map.
let exported;
try {
  exported = (await import(`data:text/javascript;charset=utf-8,${encodeURIComponent(runnable)}`)).default;
} catch (error) {
  const [message, match] = describe(error);
  answer(failure("evaluate", at(match), message));
}

function exportAt() {
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const column = lines[i].search(/\bexport\s+default\b/);
    if (column >= 0) return [i + 1, column + 1];
  }
  return [1, 1];
}

if (!isComponent(exported)) {
  answer(failure("evaluate", exportAt(), "the default export must be defineComponent({ metadata, properties, body })"));
}

// 4. Read the definition into plain JSON: helper records keep their kind, options and call site.
let nodes = 0;
function plain(value, depth, path) {
  if (++nodes > MAX_NODES) throw new RangeError(`the definition has more than ${MAX_NODES} values`);
  if (depth > MAX_DEPTH) throw new RangeError(`${path} is nested more than ${MAX_DEPTH} levels deep`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`${path} is not a finite number`);
    return value;
  }
  if (isDescriptor(value)) {
    return { $property: value.kind, options: plain(value.options, depth + 1, path), at: value.at };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item, i) => plain(item, depth + 1, `${path}[${i}]`));
  if (typeof value === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    const out = {};
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item !== undefined && typeof item !== "function") out[key] = plain(item, depth + 1, `${path}.${key}`);
    }
    return out;
  }
  throw new TypeError(`${path} is a ${typeof value === "object" ? "non-plain object" : typeof value}, not JSON data`);
}

const definition = exported.definition;
try {
  let { metadata = {}, properties = {} } = definition;
  if (typeof definition.body !== "function") {
    answer(failure("evaluate", exported.at, "defineComponent needs a body function: body(props, children)"));
  }
  if (typeof metadata === "function") metadata = metadata();
  if (typeof properties === "function") properties = properties();
  answer({
    ok: true,
    compiled,
    metadata: plain(metadata, 0, "metadata"),
    properties: plain(properties, 0, "properties"),
    at: exported.at,
  });
} catch (error) {
  const [message, match] = describe(error);
  answer(failure("evaluate", at(match) ?? exported.at, message));
}
