/* The address search of address fields with "search:": an ARIA combobox (the APG
 * "combobox with listbox popup" pattern) above the street, postcode and city inputs, which
 * it fills when an address is chosen, with the latitude and longitude of the page's location
 * field when there is one. Without JavaScript, or when the search does not
 * answer, the plain inputs stay as they are. Texts come from the page (data-*), in French.
 */
(function () {
  "use strict";

  var DELAY = 250;

  function setup(marker) {
    var fieldId = marker.getAttribute("data-address-search-for");
    var fieldset = document.getElementById(fieldId);
    if (!fieldset) {
      return;
    }
    var url = marker.getAttribute("data-url");
    var words = {
      label: marker.getAttribute("data-label"),
      hint: marker.getAttribute("data-hint"),
      none: marker.getAttribute("data-none"),
      count: marker.getAttribute("data-count"),
      chosen: marker.getAttribute("data-chosen"),
      failed: marker.getAttribute("data-failed")
    };
    var base = fieldId + "-search";
    var wrap = document.createElement("div");
    wrap.className = "guichet-part address-search";
    var label = document.createElement("label");
    label.className = "guichet-label";
    label.htmlFor = base;
    label.textContent = words.label;
    var hint = document.createElement("p");
    hint.className = "guichet-hint";
    hint.id = base + "-hint";
    hint.textContent = words.hint;
    var input = document.createElement("input");
    input.type = "text";
    input.id = base;
    input.className = "guichet-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", base + "-list");
    input.setAttribute("aria-describedby", hint.id);
    input.setAttribute("autocomplete", "off");
    var list = document.createElement("ul");
    list.id = base + "-list";
    list.className = "address-search-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", words.label);
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(label);
    wrap.appendChild(hint);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(status);
    var first = fieldset.querySelector(".guichet-part");
    fieldset.insertBefore(wrap, first);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
        options[i].classList.toggle("active", i === index);
      }
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(items) {
      results = items;
      list.textContent = "";
      items.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = base + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = item.label;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
        });
        option.addEventListener("click", function () {
          choose(index);
        });
        list.appendChild(option);
      });
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = words.count.replace("%(num)d", String(items.length));
      } else {
        close();
        status.textContent = words.none;
      }
      active = -1;
    }

    function part(name) {
      return fieldset.querySelector("[name$='-" + name + "']");
    }

    function choose(index) {
      var item = results[index];
      if (!item) {
        return;
      }
      [["street", item.street], ["postcode", item.postcode], ["city", item.city]].forEach(
        function (pair) {
          var target = part(pair[0]);
          if (target && pair[1]) {
            target.value = pair[1];
            target.dispatchEvent(new Event("input", { bubbles: true }));
          }
        }
      );
      var point = marker.getAttribute("data-location");
      if (point && typeof item.lat === "number" && typeof item.lon === "number") {
        // the page's location field: the point of the address chosen (bounds are the server's)
        [["lat", item.lat], ["lon", item.lon]].forEach(function (pair) {
          var target = document.querySelector("[name='" + point + "-" + pair[0] + "']");
          if (target) {
            target.value = String(pair[1]);
            target.dispatchEvent(new Event("input", { bubbles: true }));
          }
        });
      }
      var country = part("country");
      if (country && country.tagName === "SELECT") {
        country.value = "FR";
      }
      input.value = item.label;
      close();
      status.textContent = words.chosen;
      document.dispatchEvent(
        new CustomEvent("guichet:address-chosen", { detail: { field: fieldId, address: item } })
      );
    }

    function search() {
      var query = input.value.trim();
      if (query.length < 3) {
        show([]);
        status.textContent = "";
        return;
      }
      var ask = (asked += 1);
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (answer) {
          if (ask !== asked) {
            return; // an older answer
          }
          if (!answer.ok) {
            close();
            status.textContent = words.failed;
            return;
          }
          show(answer.body.results || []);
        })
        .catch(function () {
          if (ask === asked) {
            close();
            status.textContent = words.failed;
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var count = results.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden && count) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        if (count) {
          highlight(active + 1 >= count ? 0 : active + 1);
        }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (count) {
          highlight(active <= 0 ? count - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault(); // choosing does not send the page
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        } else {
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
  }

  document.querySelectorAll("[data-address-search-for]").forEach(setup);
})();
