// The console's procedure editor. It replaces the textarea marked data-editor="yaml" with
// CodeMirror, and writes the text back into it when the form is sent: without JavaScript
// the textarea and the form work as they are.

import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import {
  HighlightStyle,
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { linter, lintGutter } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorSelection, EditorState, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  WidgetType,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  hoverTooltip,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";

import { describe, keysAt, nodesAt, valuesAt } from "./schema.js";
import { pathAt, shape, siblings } from "./yamlpath.js";

const KEY_BEFORE = /^(\s*)((?:-\s+)*)([A-Za-z0-9_]*)$/;
const VALUE_BEFORE = /^(\s*)((?:-\s+)*)([A-Za-z0-9_]+):\s+([A-Za-z0-9_-]*)$/;

function dashColumns(indent, dashes) {
  const columns = [];
  let col = indent.length;
  for (const part of dashes.match(/-\s*/g) || []) {
    columns.push(col);
    col += part.length;
  }
  return columns;
}

/** Where a line's key sits: its path, and the mapping's keys already written. */
function context(state, lineNumber, column, ownDashes) {
  const lines = state.doc.toJSON();
  const path = pathAt(lines, lineNumber - 1, column, ownDashes);
  return { path, written: siblings(lines, lineNumber - 1, column) };
}

function schemaCompletion(schema, text) {
  return (ctx) => {
    if (!schema.root) return null;
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);
    let match = VALUE_BEFORE.exec(before);
    if (match) {
      const [, indent, dashes, key, word] = match;
      const column = indent.length + dashes.length;
      const { path, written } = context(ctx.state, line.number, column, dashColumns(indent, dashes));
      const values = valuesAt(schema.root, [...path, key], written);
      if (!values.length) return null;
      return {
        from: ctx.pos - word.length,
        options: values.map((value) => ({ label: value, type: "enum" })),
        validFor: /^[A-Za-z0-9_-]*$/,
      };
    }
    match = KEY_BEFORE.exec(before);
    if (!match) return null;
    const [, indent, dashes, word] = match;
    if (!word && !ctx.explicit) return null;
    const column = indent.length + dashes.length;
    const { path, written } = context(ctx.state, line.number, column, dashColumns(indent, dashes));
    const options = keysAt(schema.root, path, written)
      .filter((key) => !(key.name in written) || key.name === word)
      .map((key) => ({
        label: key.name,
        type: "property",
        detail: key.required ? text.required : undefined,
        info: key.description || undefined,
        apply: `${key.name}: `,
        boost: key.required ? 1 : 0,
      }));
    if (!options.length) return null;
    return { from: ctx.pos - word.length, options, validFor: /^[A-Za-z0-9_]*$/ };
  };
}

function schemaHover(schema, text) {
  return hoverTooltip((view, pos) => {
    if (!schema.root) return null;
    const line = view.state.doc.lineAt(pos);
    const info = shape(line.text);
    if (info.key === null) return null;
    const start = line.from + info.contentCol;
    const end = start + info.key.length;
    if (pos < start || pos > end) return null;
    const [, indent, dashes] = /^(\s*)((?:-\s+)*)/.exec(line.text);
    const { path, written } = context(view.state, line.number, info.contentCol, dashColumns(indent, dashes));
    const full = [...path, info.key];
    const nodes = nodesAt(schema.root, full, written);
    if (!nodes.length) return null;
    const description = nodes.map((node) => describe(schema.root, node)).find(Boolean) || "";
    const values = valuesAt(schema.root, full, written);
    return {
      pos: start,
      end,
      above: true,
      create() {
        const dom = document.createElement("div");
        dom.className = "cm-schema-help";
        const name = document.createElement("strong");
        name.textContent = info.key;
        dom.append(name);
        if (description) dom.append(document.createTextNode(` — ${description}`));
        if (values.length) {
          const list = document.createElement("p");
          list.textContent = `${text.values} ${values.join(", ")}`;
          dom.append(list);
        }
        return { dom };
      },
    };
  });
}

// The problems, each written under its line (a compact list beside the source).
const setProblems = StateEffect.define();

class ProblemWidget extends WidgetType {
  constructor(messages, label) {
    super();
    this.messages = messages;
    this.label = label;
  }
  eq(other) {
    return other.messages.join("\n") === this.messages.join("\n");
  }
  toDOM() {
    const box = document.createElement("div");
    box.className = "cm-problem";
    for (const message of this.messages) {
      const p = document.createElement("p");
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = `${this.label} `;
      p.append(hidden, document.createTextNode(message));
      box.append(p);
    }
    return box;
  }
  ignoreEvent() {
    return false;
  }
}

function problemsField(label) {
  return StateField.define({
    create: () => Decoration.none,
    update(decorations, tr) {
      decorations = decorations.map(tr.changes);
      for (const effect of tr.effects) {
        if (!effect.is(setProblems)) continue;
        const byLine = new Map();
        for (const problem of effect.value) {
          const line = tr.state.doc.line(Math.min(Math.max(problem.line, 1), tr.state.doc.lines));
          const entry = byLine.get(line.number) || { to: line.to, messages: [] };
          entry.messages.push(`${problem.line}:${problem.column} ${problem.message}`);
          byLine.set(line.number, entry);
        }
        decorations = Decoration.set(
          [...byLine.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([, entry]) =>
              Decoration.widget({
                widget: new ProblemWidget(entry.messages, label),
                block: true,
                side: 1,
              }).range(entry.to),
            ),
        );
      }
      return decorations;
    },
    provide: (field) => EditorView.decorations.from(field),
  });
}

function serverChecker(options, status) {
  return linter(
    async (view) => {
      const source = view.state.doc.toString();
      let answer;
      try {
        const response = await fetch(options.checkUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": options.csrf },
          body: JSON.stringify({ source, procedure: options.procedure }),
        });
        if (!response.ok) throw new Error(String(response.status));
        answer = await response.json();
      } catch (error) {
        status.textContent = options.text.unreachable;
        return [];
      }
      if (view.state.doc.toString() !== source) return []; // typed since: a new check follows
      const doc = view.state.doc;
      const diagnostics = answer.problems.map((problem) => {
        const line = doc.line(Math.min(Math.max(problem.line, 1), doc.lines));
        const from = Math.min(line.from + Math.max(problem.column - 1, 0), line.to);
        const word = /^[^\s:]*/.exec(doc.sliceString(from, line.to))[0];
        return {
          from,
          to: Math.max(from + word.length, from === line.to ? from : from + 1),
          severity: "error",
          message: problem.message,
        };
      });
      view.dispatch({ effects: setProblems.of(answer.problems) });
      status.textContent = answer.summary;
      return diagnostics;
    },
    { delay: 600 },
  );
}

const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], class: "tok-key" },
  { tag: [tags.string, tags.special(tags.string), tags.content], class: "tok-string" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], class: "tok-literal" },
  { tag: [tags.comment, tags.lineComment], class: "tok-comment" },
  { tag: [tags.meta, tags.labelName, tags.typeName, tags.keyword], class: "tok-meta" },
]);

// Typing over a selection: Chrome's own editing would keep the replaced tokens' styles in
// style="" attributes, which the page's policy refuses (and CodeMirror redraws anyway).
const typeOverSelection = EditorView.domEventHandlers({
  beforeinput(event, view) {
    if (event.inputType !== "insertText" || !event.data || view.composing) return false;
    if (view.state.selection.ranges.every((range) => range.empty)) return false;
    event.preventDefault();
    view.dispatch(
      view.state.update(view.state.replaceSelection(event.data), {
        userEvent: "input.type",
        scrollIntoView: true,
      }),
    );
    return true;
  },
});

function goToLine(view, number) {
  const line = view.state.doc.line(Math.min(Math.max(number, 1), view.state.doc.lines));
  view.dispatch({
    selection: EditorSelection.cursor(line.from),
    effects: EditorView.scrollIntoView(line.from, { y: "center" }),
  });
  view.focus();
}

function start(textarea) {
  const form = textarea.form;
  const data = textarea.dataset;
  const text = {
    required: data.textRequired || "",
    values: data.textValues || "",
    error: data.textError || "",
    unreachable: data.textUnreachable || "",
  };
  const options = {
    checkUrl: data.checkUrl,
    procedure: data.procedure || "",
    csrf: (form && form.querySelector("input[name=csrf_token]") || {}).value || "",
    text,
  };
  const schema = { root: null };
  if (data.schemaUrl) {
    fetch(data.schemaUrl, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((root) => {
        schema.root = root;
        textarea.dataset.schemaReady = String(Boolean(root));
      })
      .catch(() => {});
  }
  const status = document.getElementById(data.status || "") || document.createElement("p");
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  if (label && !label.id) label.id = `${textarea.id}-label`;
  const described = textarea.getAttribute("aria-describedby");
  const wrapper = document.createElement("div");
  wrapper.className = "code-editor";
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    lintGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    EditorView.cspNonce.of(data.styleNonce || ""),
    EditorState.tabSize.of(2),
    indentUnit.of("  "),
    yaml(),
    syntaxHighlighting(highlight),
    autocompletion({ override: [schemaCompletion(schema, text)] }),
    schemaHover(schema, text),
    problemsField(text.error),
    typeOverSelection,
    keymap.of([indentWithTab, ...completionKeymap, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
    EditorView.contentAttributes.of({
      "aria-labelledby": label ? label.id : "",
      ...(described ? { "aria-describedby": described } : {}),
      spellcheck: "false",
      tabindex: "0", // tabbable, as its scrolling box must hold (axe: scrollable-region-focusable)
      autocapitalize: "off",
      autocorrect: "off",
    }),
  ];
  if (options.checkUrl) extensions.push(serverChecker(options, status));
  const view = new EditorView({
    state: EditorState.create({ doc: textarea.value, extensions }),
  });
  wrapper.append(view.dom);
  textarea.after(wrapper);
  textarea.hidden = true;
  textarea.dataset.editorReady = "true";
  if (label) label.addEventListener("click", () => view.focus());
  if (form) {
    form.addEventListener("submit", () => {
      textarea.value = view.state.doc.toString();
    });
  }
  // links to a line of the source ("#line-12") open that line in the editor
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-line]");
    if (!link) return;
    event.preventDefault();
    goToLine(view, Number(link.dataset.line));
    wrapper.scrollIntoView({ block: "nearest" });
  });
  const target = /^#line-(\d+)$/.exec(window.location.hash);
  if (target) goToLine(view, Number(target[1]));
  window.guichetEditor = view; // for the browser tests and the curious
  return view;
}

document.querySelectorAll("textarea[data-editor=yaml]").forEach(start);
