// Reading Guichet's JSON Schema (Draft 2020-12) at a YAML path: which keys a mapping may
// hold, which values a key takes, and what the schema says of each.

function resolve(root, node) {
  for (let hops = 0; node && node.$ref && Object.keys(node).length === 1 && hops < 16; hops++) {
    node = (root.$defs || {})[node.$ref.split("/").pop()];
  }
  return node;
}

/** Every alternative a node stands for, `$ref`s followed and combinators opened. With
 * `values` (the mapping's keys already written), an `if` on a `const` picks its branch. */
export function alternatives(root, node, values = {}, depth = 0) {
  node = resolve(root, node);
  if (!node || typeof node !== "object" || depth > 12) return [];
  const out = [node];
  const more = (child) => out.push(...alternatives(root, child, values, depth + 1));
  if (node.$ref) more({ $ref: node.$ref });
  for (const key of ["anyOf", "oneOf", "allOf"]) (node[key] || []).forEach(more);
  if (node.if) {
    // an `if` on constants (a field's `type`) picks its branch from the values written;
    // any other condition, or a value not written yet, leaves both branches open
    const consts = Object.entries(node.if.properties || {}).filter(([, v]) => v.const !== undefined);
    const known = consts.length > 0 && consts.every(([k]) => k in values);
    const holds = consts.every(([k, v]) => String(values[k]) === String(v.const));
    if (node.then && (!known || holds)) more(node.then);
    if (node.else && (!known || !holds)) more(node.else);
  }
  return out;
}

/** The schema nodes at `path` (keys, "[]" for a list item); `values` are the keys written
 * beside the last one. */
export function nodesAt(root, path, values = {}) {
  let nodes = [root];
  path.forEach((step, index) => {
    const last = index === path.length - 1;
    const next = [];
    for (const node of nodes) {
      for (const alt of alternatives(root, node, last ? values : {})) {
        if (step === "[]") {
          if (alt.items) next.push(alt.items);
        } else if (alt.properties && alt.properties[step]) {
          next.push(alt.properties[step]);
        } else if (alt.additionalProperties && typeof alt.additionalProperties === "object") {
          next.push(alt.additionalProperties);
        }
      }
    }
    nodes = next;
  });
  return nodes;
}

/** The keys a mapping at `path` may hold: [{name, description, required}]. */
export function keysAt(root, path, values = {}) {
  const keys = new Map();
  for (const node of nodesAt(root, path)) {
    for (const alt of alternatives(root, node, values)) {
      const required = new Set(alt.required || []);
      for (const [name, child] of Object.entries(alt.properties || {})) {
        const seen = keys.get(name) || { name, description: "", required: false };
        seen.description = seen.description || describe(root, child);
        seen.required = seen.required || required.has(name);
        keys.set(name, seen);
      }
    }
  }
  return [...keys.values()];
}

/** The values a key at `path` takes when the schema lists them (enum, const, boolean). */
export function valuesAt(root, path, values = {}) {
  const found = new Set();
  const parent = path.slice(0, -1);
  const key = path[path.length - 1];
  let nodes = nodesAt(root, path);
  if (values && key !== "[]") {
    nodes = [];
    for (const node of nodesAt(root, parent)) {
      for (const alt of alternatives(root, node, values)) {
        if (alt.properties && alt.properties[key]) nodes.push(alt.properties[key]);
      }
    }
  }
  for (const node of nodes) {
    for (const alt of alternatives(root, node)) {
      (alt.enum || []).forEach((v) => found.add(String(v)));
      if (alt.const !== undefined) found.add(String(alt.const));
      if (alt.type === "boolean") ["true", "false"].forEach((v) => found.add(v));
    }
  }
  return [...found];
}

/** What the schema says of a node: its description, or its first alternative's. */
export function describe(root, node) {
  for (const alt of alternatives(root, node)) {
    if (alt.description) return alt.description;
  }
  return "";
}
