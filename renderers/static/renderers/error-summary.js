/*
 * Guichet: move focus to the error summary when a page comes back with errors, so that
 * screen reader and keyboard users start from the list of what to correct (the summary
 * links to each faulty input). No inline script, no dependency.
 */
(function () {
  'use strict';

  function start() {
    var summary = document.querySelector('[data-guichet-error-summary]');
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
