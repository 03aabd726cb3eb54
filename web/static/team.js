/* Progressive enhancement of the case page: tick and untick a checkpoint without a page reload.
   Without this script every form still works as a plain POST. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-checkpoint]") || !window.fetch) { return; }
    event.preventDefault();
    var list = form.closest("ul.checkpoints");
    var melding = document.getElementById("melding");
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      melding.textContent = "";
      var p = document.createElement("p");
      if (result.ok) {
        list.outerHTML = result.data.html;
        p.className = "ok"; p.setAttribute("role", "status"); p.textContent = result.data.message;
      } else {
        p.className = "error"; p.setAttribute("role", "alert"); p.textContent = "Niet gelukt: " + result.data.detail;
      }
      melding.appendChild(p);
    }).catch(function () { form.submit(); });
  });
}());
