// Where the cursor stands in a YAML document, read from indentation alone (the document
// is being typed: it need not parse). A path is a list of keys, with "[]" for a list item.

const LINE = /^(\s*)((?:-(?:\s+|$))*)(.*)$/;
const KEY = /^("[^"]*"|'[^']*'|[^\s#:'"][^:#]*?)\s*:(?:\s+(.*))?$/;

function unquote(key) {
  return /^["']/.test(key) ? key.slice(1, -1) : key;
}

/** One line's shape: its indentation, the columns of its dashes, where its content starts,
 * the key it opens (if any) and the value after the key. */
export function shape(text) {
  const [, indent, dashes, rest] = LINE.exec(text);
  const dashCols = [];
  let col = indent.length;
  for (const part of dashes.match(/-\s*/g) || []) {
    dashCols.push(col);
    col += part.length;
  }
  const content = rest.replace(/\s+#.*$/, "");
  const key = KEY.exec(content);
  return {
    indent: indent.length,
    dashCols,
    contentCol: col,
    blank: content.trim() === "" || content.trim().startsWith("#"),
    key: key ? unquote(key[1].trim()) : null,
    value: key && key[2] !== undefined ? key[2].trim() : null,
  };
}

/** The path of the mapping whose keys sit at column `column` on line `lineIndex` of
 * `lines`, given the dashes the line itself opens with (its own list items). */
export function pathAt(lines, lineIndex, column, ownDashes = []) {
  const path = [];
  let need = ownDashes.length ? ownDashes[0] : column;
  let afterDash = ownDashes.length > 0;
  for (let i = lineIndex - 1; i >= 0 && need > 0; i--) {
    const line = shape(lines[i]);
    if (line.blank) continue;
    if (line.indent > need) continue;
    if (line.indent === need) {
      // at the same column: a key that holds a list written flush with it ("pages:\n- id")
      if (afterDash && !line.dashCols.length && line.key !== null && !line.value) {
        path.unshift(line.key);
        afterDash = false;
      }
      continue;
    }
    if (line.contentCol < need && line.key !== null) path.unshift(line.key);
    for (let d = line.dashCols.length - 1; d >= 0; d--) {
      if (line.dashCols[d] < need) path.unshift("[]");
    }
    afterDash = line.dashCols.length > 0;
    need = line.indent;
  }
  for (let d = 0; d < ownDashes.length; d++) path.push("[]");
  return path;
}

/** The keys and values already written in the mapping that holds line `lineIndex`, whose
 * keys sit at `column`: to leave out keys already there and read a field's `type`. */
export function siblings(lines, lineIndex, column) {
  const found = {};
  const take = (line) => {
    if (line.key !== null && line.contentCol === column) found[line.key] = line.value;
  };
  for (let i = lineIndex - 1; i >= 0; i--) {
    const line = shape(lines[i]);
    if (line.blank) continue;
    if (line.contentCol < column || line.indent < column) {
      if (line.contentCol === column) take(line); // "- id: x" opens the item
      break;
    }
    take(line);
  }
  for (let i = lineIndex + 1; i < lines.length; i++) {
    const line = shape(lines[i]);
    if (line.blank) continue;
    if (line.indent < column) break;
    take(line);
  }
  return found;
}
