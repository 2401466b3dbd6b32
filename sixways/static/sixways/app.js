// Progressive enhancement only: every page works without this file.
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("nhsuk-frontend-supported");
}
initAll();

// Stop a second press of a submit button sending the form twice. The server copes with a
// repeat anyway; this only saves the person a confusing wait.
for (const form of document.querySelectorAll("form[data-prevent-double-submit]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.submitting) {
      event.preventDefault();
    }
    form.dataset.submitting = "true";
  });
}
