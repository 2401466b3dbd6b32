// Page checks axe-core does not make, run in the browser by tests/browser/crawl.py.
// Each returns a list of problems in words a developer can act on.
({
  describe(el) {
    if (!el || el === document.body) return "the page";
    let text = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim();
    text = text.replace(/\s+/g, " ").slice(0, 60);
    const id = el.id ? `#${el.id}` : "";
    const name = el.getAttribute("name") ? `[name=${el.getAttribute("name")}]` : "";
    return `<${el.tagName.toLowerCase()}${id}${name}>${text ? ` "${text}"` : ""}`;
  },

  visible(el) {
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden" && el.getClientRects().length > 0;
  },

  pageProblems() {
    const problems = [];
    const describedBy = (el) => (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);

    // Every group of radios (and of checkboxes) is a fieldset whose legend asks the question.
    for (const type of ["radio", "checkbox"]) {
      const groups = new Map();
      for (const input of document.querySelectorAll(`input[type=${type}]`)) {
        if (!groups.has(input.name)) groups.set(input.name, []);
        groups.get(input.name).push(input);
      }
      for (const [name, inputs] of groups) {
        if (type === "checkbox" && inputs.length < 2) continue;
        const fieldset = inputs[0].closest("fieldset");
        if (!fieldset || inputs.some((input) => input.closest("fieldset") !== fieldset)) {
          problems.push(`${type} group "${name}" is not inside one fieldset`);
          continue;
        }
        const legend = fieldset.querySelector(":scope > legend");
        if (!legend || !legend.textContent.trim()) {
          problems.push(`${type} group "${name}" has a fieldset with no legend (the question)`);
        }
      }
    }

    // Hints and error messages are read out with their field.
    for (const message of document.querySelectorAll(".nhsuk-hint, .nhsuk-error-message")) {
      if (!this.visible(message)) continue;
      const kind = message.classList.contains("nhsuk-hint") ? "hint" : "error message";
      const owners = message.id
        ? [...document.querySelectorAll("[aria-describedby]")].filter((el) => describedBy(el).includes(message.id))
        : [];
      if (owners.length === 0) {
        problems.push(`${kind} ${this.describe(message)} is not tied to its field with aria-describedby`);
      }
    }

    // An error summary: "Error: " leads the title, and each link leads to a field on the page.
    const summary = document.querySelector(".nhsuk-error-summary");
    const messages = [...document.querySelectorAll(".nhsuk-error-message")].filter((m) => this.visible(m));
    if (summary) {
      if (!document.title.startsWith("Error: ")) {
        problems.push(`the page has an error summary but its title does not start with "Error: " (${document.title})`);
      }
      for (const link of summary.querySelectorAll("a")) {
        const href = link.getAttribute("href") || "";
        if (!href.startsWith("#")) continue;
        const target = document.getElementById(decodeURIComponent(href.slice(1)));
        if (!target) problems.push(`error summary link ${this.describe(link)} leads to ${href}, which is not on the page`);
      }
    } else if (messages.length) {
      problems.push(`the page shows ${messages.length} error message(s) but no error summary`);
    }

    const headings = document.querySelectorAll("h1");
    if (headings.length !== 1) problems.push(`the page has ${headings.length} h1 headings, not 1`);

    for (const el of document.querySelectorAll("[tabindex]")) {
      if (el.tabIndex > 0) problems.push(`${this.describe(el)} has tabindex ${el.tabIndex}, which changes the order of focus`);
    }

    // Charts are SVG: each one needs a name (and a table beside it), unless it is decoration.
    for (const svg of document.querySelectorAll("svg")) {
      if (svg.closest("[aria-hidden=true]")) continue;
      const named = svg.getAttribute("aria-label") || svg.getAttribute("aria-labelledby") || svg.querySelector(":scope > title");
      if (!named || svg.getAttribute("role") !== "img") {
        problems.push(`${this.describe(svg)} is an SVG without role="img" and a name, or aria-hidden="true"`);
      }
    }
    return problems;
  },

  // WCAG 1.4.10 lets a data table scroll sideways (it needs two dimensions); nothing else may.
  reflowProblems() {
    const width = document.documentElement.clientWidth;
    const problems = [];
    // A box that scrolls on its own (or clips, as visually hidden text does) keeps its content in.
    const contains = (el) => getComputedStyle(el).overflowX !== "visible";
    const excused = (el, self = false) => {
      if (el.closest("table")) return true;
      for (let ancestor = self ? el : el.parentElement; ancestor && ancestor !== document.body; ancestor = ancestor.parentElement) {
        if (contains(ancestor) && ancestor.getBoundingClientRect().right <= width + 1) return true;
      }
      return false;
    };
    const offenders = new Map();
    // Boxes that run off the side: only the outermost, its children go with it.
    for (const el of document.body.querySelectorAll("*")) {
      const rect = el.getBoundingClientRect();
      if (rect.width <= 1 || rect.right <= width + 1 || !this.visible(el) || excused(el)) continue;
      if (![...offenders.keys()].some((outer) => outer.contains(el))) offenders.set(el, rect.right);
    }
    // Text that spills out of a box that fits, such as a long email address.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || !node.parentElement || !this.visible(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const right = Math.max(0, ...[...range.getClientRects()].map((r) => r.right));
      const owner = node.parentElement;
      if (right > width + 1 && !excused(owner, true) && ![...offenders.keys()].some((el) => el.contains(owner))) {
        offenders.set(owner, right);
      }
    }
    // A table may scroll, but its caption names it and must be readable without scrolling:
    // the caption is as wide as the table, so a long one runs off a narrow screen.
    for (const caption of document.querySelectorAll("caption")) {
      if (!this.visible(caption) || getComputedStyle(caption).overflow === "hidden") continue;
      const box = caption.closest(".sixways-table-scroll");
      const edge = Math.min(width, box ? box.getBoundingClientRect().right : width);
      const range = document.createRange();
      range.selectNodeContents(caption);
      const right = Math.max(0, ...[...range.getClientRects()].map((r) => r.right));
      if (right > edge + 1) offenders.set(caption, right);
    }
    for (const [el, right] of [...offenders].slice(0, 5)) {
      problems.push(`${this.describe(el)} runs off a ${width}px-wide screen (right edge at ${Math.round(right)}px)`);
    }
    const tables = [...document.querySelectorAll("table")].some((t) => t.getBoundingClientRect().right > width + 1);
    if (!offenders.size && !tables && document.documentElement.scrollWidth > width + 1) {
      problems.push(`the page scrolls sideways at ${width}px wide (it is ${document.documentElement.scrollWidth}px wide)`);
    }
    return problems;
  },

  // POST forms in the main content with something to fill in: the crawl sends each one empty.
  fillableForms() {
    const fillable = (el) =>
      !["hidden", "submit", "button", "reset"].includes(el.type) && !["BUTTON", "FIELDSET", "OUTPUT"].includes(el.tagName);
    return [...document.querySelectorAll("main form")].filter((form) => form.method === "post" && [...form.elements].some(fillable));
  },

  emptyForm(index) {
    const form = this.fillableForms()[index];
    form.noValidate = true;
    for (const el of form.elements) {
      if (el.type === "radio" || el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = -1;
      else if (!["hidden", "submit", "button", "reset"].includes(el.type) && !["BUTTON", "FIELDSET", "OUTPUT"].includes(el.tagName)) el.value = "";
    }
    form.setAttribute("data-a11y-empty", "");
  },

  focused() {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    return {
      tag: el.tagName.toLowerCase(),
      type: el.getAttribute("type") || "",
      name: el.getAttribute("name") || "",
      id: el.id,
      text: (el.textContent || el.value || "").trim().replace(/\s+/g, " ").slice(0, 80),
      href: el.getAttribute("href") || "",
      checked: !!el.checked,
      inMain: !!el.closest("main"),
      description: this.describe(el),
    };
  },

  // What a focus indicator can change: on the element, and on the label drawn beside a radio.
  look(el) {
    const parts = [el, ...(el.labels ? [...el.labels] : [])];
    const props = ["outlineStyle", "outlineWidth", "outlineColor", "boxShadow", "backgroundColor", "color", "borderColor", "textDecorationLine", "textDecorationThickness"];
    const values = [];
    for (const part of parts) {
      for (const pseudo of [null, "::before", "::after"]) {
        const style = getComputedStyle(part, pseudo);
        for (const prop of props) values.push(style[prop]);
      }
    }
    return values.join("|");
  },

  markStop(index) {
    const stop = this.focused();
    if (!stop) return null;
    const el = document.activeElement;
    window.__a11yStops = window.__a11yStops || [];
    // Back at the first stop: focus went round the whole page and out of it.
    if (index > 0 && window.__a11yStops[0] && window.__a11yStops[0].el === el) return null;
    const rect = el.getBoundingClientRect();
    const onScreen = rect.bottom > 0 && rect.top < innerHeight && rect.right > 0 && rect.left < innerWidth;
    // A radio's own box is hidden; the label beside it is what people see.
    const shown = onScreen || (el.labels && [...el.labels].some((label) => {
      const r = label.getBoundingClientRect();
      return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
    }));
    window.__a11yStops[index] = { el, focusedLook: this.look(el), shown };
    return stop;
  },

  focusProblems() {
    const problems = [];
    const stops = window.__a11yStops || [];
    if (document.activeElement) document.activeElement.blur();
    let previous = null;
    for (const stop of stops) {
      if (!stop.shown) problems.push(`${this.describe(stop.el)} has focus but is off screen`);
      if (this.look(stop.el) === stop.focusedLook) {
        problems.push(`${this.describe(stop.el)} looks the same with and without focus`);
      }
      if (previous && previous !== stop.el && !(previous.compareDocumentPosition(stop.el) & Node.DOCUMENT_POSITION_FOLLOWING)) {
        problems.push(`focus goes back from ${this.describe(previous)} to ${this.describe(stop.el)}`);
      }
      previous = stop.el;
    }
    window.__a11yStops = [];
    return problems;
  },
});
