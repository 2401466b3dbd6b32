// Progressive enhancement only: every page works without this file.
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("nhsuk-frontend-supported");
}
initAll();

// Stop a second press of a submit button sending the form twice. The server copes with a
// repeat anyway; this only saves the person a confusing wait.
// Listened for on the document, so forms that a live page swaps in are covered too.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-prevent-double-submit]")) {
    return;
  }
  if (form.dataset.submitting) {
    event.preventDefault();
  }
  form.dataset.submitting = "true";
});

// Warn a few minutes before the session ends, and let the person keep it (WCAG 2.2.1). The
// server says how long is left (sixways/rounds/session.py); the dialog's text is in
// templates/design/session_timeout.jinja. Without this script nobody is warned, but nothing
// already sent is lost: answers are saved on every page.
const timeoutDialog = document.getElementById("session-timeout");
if (timeoutDialog && typeof timeoutDialog.showModal === "function") {
  const warnBefore = Number(timeoutDialog.dataset.warnSeconds) * 1000;
  const extendForm = timeoutDialog.querySelector("[data-timeout-extend]");
  const minutesText = timeoutDialog.querySelector("[data-timeout-minutes]");
  let deadline = null;
  let warned = false;

  const secondsLeft = async (request) => {
    try {
      const response = await request;
      return response.ok ? (await response.json()).expires_in : null;
    } catch {
      return undefined; // offline for a moment: keep the deadline we have
    }
  };
  const checkStatus = () =>
    secondsLeft(fetch(timeoutDialog.dataset.statusUrl, { headers: { Accept: "application/json" } }));

  const show = (state) => {
    for (const part of timeoutDialog.querySelectorAll("[data-timeout-state]")) {
      part.hidden = part.dataset.timeoutState !== state;
    }
    const prefix = state === "ended" ? "session-ended" : "session-timeout";
    timeoutDialog.setAttribute("aria-labelledby", `${prefix}-title`);
    timeoutDialog.setAttribute("aria-describedby", `${prefix}-text`);
    if (!timeoutDialog.open) {
      timeoutDialog.showModal();
    }
  };

  const setDeadline = (seconds) => {
    if (seconds !== undefined) {
      deadline = seconds === null ? null : Date.now() + seconds * 1000;
    }
  };

  // Timers pause while a laptop sleeps, so each tick compares the clock with the deadline.
  const tick = async () => {
    if (deadline === null) return;
    const left = deadline - Date.now();
    if (left > warnBefore || (warned && left > 0)) return;
    // Another tab may have kept the session going: ask before warning or saying it ended.
    setDeadline(await checkStatus());
    const now = Date.now();
    if (deadline === null || deadline <= now) {
      deadline = null;
      show("ended");
    } else if (deadline - now > warnBefore) {
      warned = false;
      if (timeoutDialog.open) timeoutDialog.close();
    } else if (!warned) {
      const minutes = Math.max(1, Math.ceil((deadline - now) / 60000));
      minutesText.textContent = `${minutes} minute${minutes === 1 ? "" : "s"}`;
      warned = true;
      show("warning");
    }
  };

  extendForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const seconds = await secondsLeft(
      fetch(extendForm.action, {
        method: "POST",
        body: new FormData(extendForm),
        headers: { Accept: "application/json" },
      }),
    );
    if (seconds === undefined) return; // not sent: the button is still there to try again
    if (seconds) {
      setDeadline(seconds);
      // Near a participant's cap the server gives less than the full time: the warning has
      // been seen, so say nothing more until the end rather than warning again at once.
      warned = seconds * 1000 <= warnBefore;
      timeoutDialog.close();
    } else {
      deadline = null;
      show("ended");
    }
  });
  timeoutDialog.querySelector("[data-timeout-close]").addEventListener("click", () => timeoutDialog.close());

  checkStatus().then((seconds) => {
    setDeadline(seconds);
    tick();
    setInterval(tick, 15000);
  });
}

// A "Copy the link" button beside each organisation's link. Hidden without this script (the
// link can still be selected and copied by hand); says "Copied" where a screen reader hears it.
for (const copy of document.querySelectorAll("button[data-copy]")) {
  if (!navigator.clipboard) {
    continue;
  }
  copy.hidden = false;
  const status = document.getElementById(copy.getAttribute("aria-describedby"));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(copy.dataset.copy);
      status.textContent = "Copied";
    } catch {
      status.textContent = "Could not copy: select the link and copy it instead";
    }
  });
}

// A chart that scrolls sideways on a small screen can be reached and scrolled with the keyboard.
const focusScrollingCharts = () => {
  for (const figure of document.querySelectorAll(".sixways-figure")) {
    if (figure.scrollWidth > figure.clientWidth) {
      figure.setAttribute("tabindex", "0");
      figure.setAttribute("role", "region");
    } else {
      figure.removeAttribute("tabindex");
      figure.removeAttribute("role");
    }
  }
};
focusScrollingCharts();
window.addEventListener("resize", focusScrollingCharts);

// Live workshop pages: the phones, the shared screen and the facilitator's controls ask every
// few seconds whether anything changed, sending the ETag they have; the server answers 304
// without rendering anything when nothing did, and the changed part of the page when it did
// (sixways/workshops/showing.py). Only while the page is visible; slower and slower after
// errors, with a way to try at once; and a switch to pause (WCAG 2.2.2). Without this script
// each page has a button to ask again.
for (const region of document.querySelectorAll("[data-live]")) {
  const controls = document.querySelector("[data-live-controls]");
  const status = document.querySelector("[data-live-status]");
  const lost = document.querySelector("[data-live-lost]");
  const pause = document.querySelector("[data-live-pause]");
  const retry = document.querySelector("[data-live-retry]");
  let etag = region.dataset.etag || "";
  let announced = region.querySelector("[data-announce]")?.dataset.announce || "";
  let paused = false;
  let failures = 0;
  let timer = null;
  const every = () => 2000 + Math.random() * 1000;
  const schedule = (delay) => {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  };
  const poll = async () => {
    if (paused || document.visibilityState !== "visible") {
      return;
    }
    try {
      const response = await fetch(region.dataset.live, {
        headers: etag ? { "If-None-Match": etag } : {},
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status !== 304) {
        if (!response.ok) {
          throw new Error(`status ${response.status}`);
        }
        const html = await response.text();
        etag = response.headers.get("ETag") || "";
        region.innerHTML = html;
        focusScrollingCharts();
        const news = region.querySelector("[data-announce]")?.dataset.announce || "";
        if (status && news && news !== announced) {
          status.textContent = news;
        }
        announced = news;
      }
      failures = 0;
      if (lost) {
        lost.hidden = true;
      }
      schedule(every());
    } catch {
      failures += 1;
      if (lost) {
        lost.hidden = false;
      }
      // Back off, with jitter, so a room of phones does not retry in step.
      schedule(Math.min(30000, 2000 * 2 ** failures) * (0.5 + Math.random()));
    }
  };
  if (controls) {
    controls.hidden = false;
  }
  pause?.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume live updates" : "Pause live updates";
    if (!paused) {
      schedule(0);
    }
  });
  retry?.addEventListener("click", () => schedule(0));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      schedule(0);
    }
  });
  schedule(every());
}

// A file of returns being checked or imported (sixways/returns/): ask how far it has got every
// second or so and move the bar; once it is done, load the page again to show what came of
// it. Without this script the page says how far it has got each time it is reloaded.
const uploadProgress = document.querySelector("[data-upload-progress]");
if (uploadProgress) {
  const bar = uploadProgress.querySelector("progress");
  const text = uploadProgress.querySelector("#progress-text");
  const number = new Intl.NumberFormat("en-GB");
  const ask = async () => {
    try {
      const response = await fetch(uploadProgress.dataset.uploadProgress, {
        cache: "no-store",
        credentials: "same-origin",
      });
      const progress = await response.json();
      if (progress.state !== uploadProgress.dataset.state) {
        window.location.reload();
        return;
      }
      if (bar && progress.total) {
        bar.max = progress.total;
        bar.value = progress.checked;
        text.textContent = `${number.format(progress.checked)} of ${number.format(progress.total)} rows checked.`;
      } else if (bar) {
        text.textContent = `${number.format(progress.checked)} rows checked so far.`;
      }
    } catch {
      // The next try may work; the link on the page reloads it by hand.
    }
    setTimeout(ask, 1000 + Math.random() * 500);
  };
  setTimeout(ask, 1000);
}
