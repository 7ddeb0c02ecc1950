/* The register, enhanced: one tap cycles a learner's status, and marks survive a dropped connection.
   Without this script the plain form (radio buttons and a Save button) still works. */
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form || !window.fetch || !window.localStorage) { return; }
  var statusBox = document.getElementById("register-status");
  var storeKey = "pathways-register-" + form.dataset.session;
  var cycle = ["present", "late", "absent", "absent_notified", "excused", "left_early"];

  function say(text) { statusBox.textContent = text; }

  // One big button per learner that steps through the statuses; the radios stay the source of truth.
  form.querySelectorAll(".mark-row").forEach(function (row) {
    var radios = Array.prototype.slice.call(row.querySelectorAll("input[type=radio]"));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "cycle-button";
    var legend = row.querySelector("legend");
    function labelFor(value) {
      var radio = radios.find(function (r) { return r.value === value; });
      return radio ? radio.parentElement.textContent.trim() : "—";
    }
    function current() {
      var checked = radios.find(function (r) { return r.checked; });
      return checked ? checked.value : null;
    }
    function show() {
      var value = current();
      button.textContent = value ? labelFor(value) : "—";
      button.dataset.status = value || "";
      button.setAttribute("aria-label", legend.textContent.trim() + ": " + button.textContent);
    }
    button.addEventListener("click", function () {
      var next = cycle[(cycle.indexOf(current()) + 1) % cycle.length];
      radios.forEach(function (r) { r.checked = r.value === next; });
      show();
    });
    radios.forEach(function (r) { r.addEventListener("change", show); });
    row.querySelector(".status-choices").classList.add("enhanced");
    legend.after(button);
    show();
  });

  function send(body) {
    // form.action would be the buttons named "action": read the attribute instead.
    return fetch(form.getAttribute("action") || window.location.href, {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function sendPending() {
    var pending = window.localStorage.getItem(storeKey);
    if (!pending || !navigator.onLine) { return; }
    say(form.dataset.msgSending);
    send(new URLSearchParams(pending)).then(function (result) {
      window.localStorage.removeItem(storeKey);
      say(result.ok ? form.dataset.msgSent : form.dataset.msgError + " " + result.data.detail);
    }).catch(function () { say(form.dataset.msgOffline); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new FormData(form);
    if (event.submitter && event.submitter.name) { body.set(event.submitter.name, event.submitter.value); }
    var encoded = new URLSearchParams(body).toString();
    send(new URLSearchParams(encoded)).then(function (result) {
      if (!result.ok) { say(form.dataset.msgError + " " + result.data.detail); return; }
      window.localStorage.removeItem(storeKey);
      if (result.data.kept_notices && result.data.kept_notices.length) {
        say(form.dataset.msgSaved + " " + form.dataset.msgKept + " " + result.data.kept_notices.join(", "));
      } else {
        say(form.dataset.msgSaved);
      }
      if (event.submitter && event.submitter.value === "all_present") { window.location.reload(); }
    }).catch(function () {
      window.localStorage.setItem(storeKey, encoded);
      say(form.dataset.msgOffline);
    });
  });

  window.addEventListener("online", sendPending);
  sendPending();
})();
