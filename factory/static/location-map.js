/* The map of location fields (Leaflet, bundled in factory/static/leaflet/): a click or a
 * dragged marker writes the latitude and longitude inputs, which stay the field's answer
 * (the server keeps checking the bounds); "Use my position" asks the browser's
 * geolocation; typing in the inputs, or choosing an address in the address search, moves
 * the marker. Without JavaScript or tiles, the inputs stay as they are. Texts come from the
 * page (data-*), in French.
 */
(function () {
  "use strict";

  if (!window.L) {
    return;
  }

  function number(input) {
    var value = parseFloat(String(input.value).replace(",", "."));
    return isFinite(value) ? value : null;
  }

  function setup(marker) {
    var fieldId = marker.getAttribute("data-location-map-for");
    var fieldset = document.getElementById(fieldId);
    var lat = document.querySelector("[name='" + fieldId + "-lat']");
    var lon = document.querySelector("[name='" + fieldId + "-lon']");
    if (!fieldset || !lat || !lon) {
      return;
    }
    var words = {
      label: marker.getAttribute("data-label"),
      help: marker.getAttribute("data-help"),
      locate: marker.getAttribute("data-locate"),
      placed: marker.getAttribute("data-placed"),
      outside: marker.getAttribute("data-outside"),
      failed: marker.getAttribute("data-failed"),
      pin: marker.getAttribute("data-pin")
    };
    var box = document.createElement("div");
    box.className = "location-map-wrap";
    var help = document.createElement("p");
    help.className = "guichet-hint";
    help.id = fieldId + "-map-help";
    help.textContent = words.help;
    var area = document.createElement("div");
    area.id = fieldId + "-map";
    area.className = "location-map";
    area.setAttribute("aria-label", words.label);
    area.setAttribute("aria-describedby", help.id);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary";
    button.textContent = words.locate;
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.className = "location-map-status";
    box.appendChild(help);
    box.appendChild(area);
    if (navigator.geolocation) {
      box.appendChild(button);
    }
    box.appendChild(status);
    fieldset.appendChild(box);

    var bounds = null;
    var raw = (marker.getAttribute("data-bounds") || "").split(",").map(parseFloat);
    if (raw.length === 4 && raw.every(isFinite)) {
      bounds = L.latLngBounds([raw[0], raw[1]], [raw[2], raw[3]]);
    }
    var map = L.map(area, { keyboard: true });
    L.tileLayer(marker.getAttribute("data-tiles"), {
      attribution: marker.getAttribute("data-attribution") || "",
      maxZoom: 19
    }).addTo(map);
    var pin = null;

    function place(point, pan) {
      if (!pin) {
        pin = L.marker(point, { draggable: true, keyboard: true, title: words.pin, alt: words.pin });
        pin.addTo(map);
        pin.on("dragend", function () {
          write(pin.getLatLng());
        });
      } else {
        pin.setLatLng(point);
      }
      if (pan) {
        map.setView(point, Math.max(map.getZoom() || 0, 17));
      }
    }

    function write(point) {
      lat.value = point.lat.toFixed(6);
      lon.value = point.lng.toFixed(6);
      status.textContent = bounds && !bounds.contains(point) ? words.outside : words.placed;
    }

    function read() {
      var y = number(lat);
      var x = number(lon);
      if (y !== null && x !== null && Math.abs(y) <= 90 && Math.abs(x) <= 180) {
        place(L.latLng(y, x), true);
      }
    }

    if (number(lat) !== null && number(lon) !== null) {
      read();
    } else if (bounds) {
      map.fitBounds(bounds);
    } else {
      map.setView([46.6, 2.4], 5);
    }
    map.on("click", function (event) {
      place(event.latlng, false);
      write(event.latlng);
    });
    lat.addEventListener("change", read);
    lon.addEventListener("change", read);
    lat.addEventListener("input", read);
    lon.addEventListener("input", read);
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var point = L.latLng(position.coords.latitude, position.coords.longitude);
          place(point, true);
          write(point);
        },
        function () {
          status.textContent = words.failed;
        },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
  }

  document.querySelectorAll("[data-location-map-for]").forEach(setup);
})();
