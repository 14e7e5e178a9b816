/*
 * Guichet: fields shown on a condition (visible_if), by progressive enhancement.
 *
 * Each field wrapper whose condition the browser can evaluate carries it as a JSON tree in
 * data-visible-if (see renderers/conditions.py). On load and whenever an input changes,
 * every tree is evaluated on the current values of the form's inputs; a wrapper whose
 * condition does not hold gets the `hidden` attribute and its inputs are disabled (so they
 * are neither sent nor checked by the browser). Without this script every field is shown;
 * the server judges the conditions anyway.
 *
 * No inline script, no dependency, ES2017. Focus is never moved.
 */
(function () {
  'use strict';

  var ATTRIBUTE = 'data-visible-if';
  var MARK = 'guichetDisabled'; // data-guichet-disabled: disabled by this script
  var CONTROLS = ['input', 'select', 'textarea', 'button'].map(function (tag) {
    return '[' + ATTRIBUTE + '] ' + tag;
  }).join(', ');

  /* Python raises on these (ordering None, a number against a text…): the server then
     treats the field as hidden, and so do we. */
  function Incomparable(message) {
    this.message = message;
  }

  function controlsNamed(form, name) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name === name;
    });
  }

  function compactNumber(text) {
    var compact = text.replace(/[\s\u00a0\u202f']/g, '').replace(',', '.');
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(compact)) {
      return null;
    }
    return Number(compact);
  }

  function isoDate(text) {
    var match;
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
      return text;
    }
    match = /^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})$/.exec(text);
    if (!match) {
      return null;
    }
    return match[3] + '-' + ('0' + match[2]).slice(-2) + '-' + ('0' + match[1]).slice(-2);
  }

  /* The value the server would see for the input `name` of a field of type `type`. */
  function readValue(form, name, type) {
    var controls = controlsNamed(form, name).filter(function (element) {
      return !element.disabled;
    });
    var checked;
    var text;
    if (type === 'boolean') {
      return controls.some(function (element) { return element.checked; });
    }
    if (type === 'multichoice') {
      checked = controls.filter(function (element) { return element.checked; })
        .map(function (element) { return element.value; });
      return checked.length ? checked : null;
    }
    if (!controls.length) {
      return null;
    }
    if (controls[0].type === 'radio' || controls[0].type === 'checkbox') {
      checked = controls.filter(function (element) { return element.checked; });
      return checked.length ? checked[0].value : null;
    }
    text = (controls[0].value || '').trim();
    if (text === '') {
      return null;
    }
    switch (type) {
      case 'integer':
        return /^[+-]?\d+$/.test(text.replace(/[\s\u00a0\u202f']/g, '')) ? compactNumber(text) : null;
      case 'decimal':
        return compactNumber(text);
      case 'date':
        return isoDate(text);
      case 'email':
        return text.toLowerCase();
      case 'iban':
        return text.replace(/\s/g, '').toUpperCase();
      case 'siret':
        return text.replace(/[\s.\-\u00a0\u202f]/g, '');
      default:
        return text;
    }
  }

  function truthy(value) {
    if (Array.isArray(value)) {
      return value.length > 0;
    }
    if (value !== null && typeof value === 'object') {
      return Object.keys(value).length > 0;
    }
    return Boolean(value) && !(typeof value === 'number' && isNaN(value));
  }

  function equal(a, b) {
    var index;
    if (a === undefined) { a = null; }
    if (b === undefined) { b = null; }
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) {
        return false;
      }
      for (index = 0; index < a.length; index += 1) {
        if (!equal(a[index], b[index])) {
          return false;
        }
      }
      return true;
    }
    if (typeof a === 'boolean' && typeof b === 'number') { return Number(a) === b; }
    if (typeof a === 'number' && typeof b === 'boolean') { return a === Number(b); }
    return a === b;
  }

  function order(a, b) {
    var numeric = function (value) {
      return typeof value === 'number' || typeof value === 'boolean';
    };
    if (numeric(a) && numeric(b)) {
      return Number(a) - Number(b);
    }
    if (typeof a === 'string' && typeof b === 'string') {
      return a < b ? -1 : (a > b ? 1 : 0);
    }
    throw new Incomparable('cannot order these values');
  }

  function contains(container, item) {
    if (Array.isArray(container)) {
      return container.some(function (element) { return equal(element, item); });
    }
    if (typeof container === 'string' && typeof item === 'string') {
      return container.indexOf(item) !== -1;
    }
    throw new Incomparable('"in" needs a list or a text');
  }

  function evaluate(node, form) {
    var left;
    if (Object.prototype.hasOwnProperty.call(node, 'const')) {
      return node.const;
    }
    if (Object.prototype.hasOwnProperty.call(node, 'input')) {
      return readValue(form, node.input, node.type);
    }
    if (Object.prototype.hasOwnProperty.call(node, 'list')) {
      return node.list.map(function (item) { return evaluate(item, form); });
    }
    switch (node.op) {
      case 'and':
        left = evaluate(node.args[0], form);
        return truthy(left) ? evaluate(node.args[1], form) : left;
      case 'or':
        left = evaluate(node.args[0], form);
        return truthy(left) ? left : evaluate(node.args[1], form);
      case 'not':
        return !truthy(evaluate(node.args[0], form));
      case '==':
        return equal(evaluate(node.args[0], form), evaluate(node.args[1], form));
      case '!=':
        return !equal(evaluate(node.args[0], form), evaluate(node.args[1], form));
      case '<':
        return order(evaluate(node.args[0], form), evaluate(node.args[1], form)) < 0;
      case '>':
        return order(evaluate(node.args[0], form), evaluate(node.args[1], form)) > 0;
      case '<=':
        return order(evaluate(node.args[0], form), evaluate(node.args[1], form)) <= 0;
      case '>=':
        return order(evaluate(node.args[0], form), evaluate(node.args[1], form)) >= 0;
      case 'in':
        return contains(evaluate(node.args[1], form), evaluate(node.args[0], form));
      case 'not in':
        return !contains(evaluate(node.args[1], form), evaluate(node.args[0], form));
      default:
        throw new Incomparable('unknown operator ' + node.op);
    }
  }

  function holds(wrapper, form) {
    var tree;
    try {
      tree = JSON.parse(wrapper.getAttribute(ATTRIBUTE));
      return truthy(evaluate(tree, form));
    } catch (error) {
      if (error instanceof Incomparable) {
        return false;
      }
      return true; // a tree we cannot read: show the field, the server judges
    }
  }

  /* Disable the controls inside a hidden conditional wrapper, enable the others again
     (only those this script disabled). */
  function syncControls(form) {
    Array.prototype.forEach.call(form.querySelectorAll(CONTROLS), function (control) {
      var hiddenAncestor = control.closest('[' + ATTRIBUTE + '][hidden]');
      if (hiddenAncestor) {
        if (!control.disabled) {
          control.disabled = true;
          control.dataset[MARK] = '';
        }
      } else if (Object.prototype.hasOwnProperty.call(control.dataset, MARK)) {
        control.disabled = false;
        delete control.dataset[MARK];
      }
    });
  }

  function update(form) {
    var wrappers = form.querySelectorAll('[' + ATTRIBUTE + ']');
    var pass;
    var changed;
    // a condition may read a field that another condition hides: repeat until stable
    for (pass = 0; pass < 10; pass += 1) {
      changed = false;
      Array.prototype.forEach.call(wrappers, function (wrapper) {
        var visible = holds(wrapper, form);
        if (wrapper.hidden === visible) {
          wrapper.hidden = !visible;
          changed = true;
        }
      });
      syncControls(form);
      if (!changed) {
        break;
      }
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('form'), function (form) {
      if (!form.querySelector('[' + ATTRIBUTE + ']')) {
        return;
      }
      var listener = function () { update(form); };
      form.addEventListener('change', listener);
      form.addEventListener('input', listener);
      update(form);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
