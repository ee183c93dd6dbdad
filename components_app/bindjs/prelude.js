// What a BindJS component sees while the registry reads it: defineComponent and the property helpers.
//
// A helper only records what it was given (its kind, its options, and where in the source it was called),
// so that the registry can turn the record into JSON Schema; nothing here renders anything, and the
// component's body is never called. Records are branded through WeakSets that user code cannot reach, so
// a plain object cannot pass itself off as a component.

const components = new WeakSet();
const descriptors = new WeakSet();
const { freeze } = Object;
const captureStack = Error.captureStackTrace;
const LOCATION = /stripTypeScriptTypes\.ts:(\d+):(\d+)/;

// Where the caller of a helper sits in the component's own source (line and column, 1-based), if known.
function callSite() {
  const probe = {};
  captureStack(probe, callSite);
  const match = LOCATION.exec(String(probe.stack));
  return match ? [Number(match[1]), Number(match[2])] : null;
}

function helper(kind) {
  return function (options = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Property${kind[0].toUpperCase()}${kind.slice(1)} takes an options object`);
    }
    const record = freeze({ kind, options, at: callSite() });
    descriptors.add(record);
    return record;
  };
}

export const helpers = {
  PropertyString: helper("string"),
  PropertyNumber: helper("number"),
  PropertyBoolean: helper("boolean"),
  PropertyEnum: helper("enum"),
  PropertyDate: helper("date"),
  PropertyArray: helper("array"),
  PropertyGroup: helper("group"),
  PropertyAsset: helper("asset"),
  PropertyContent: helper("content"),
  PropertyComponent: helper("component"),
  defineComponent(definition) {
    if (definition === null || typeof definition !== "object") {
      throw new TypeError("defineComponent takes an object: { metadata, properties, body }");
    }
    const record = freeze({ definition, at: callSite() });
    components.add(record);
    return record;
  },
};

export const isComponent = (value) => components.has(value);
export const isDescriptor = (value) => descriptors.has(value);
