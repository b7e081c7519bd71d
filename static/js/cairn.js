// Progressive enhancement only: every control works without this file.
document.documentElement.classList.add("js");

document.addEventListener("htmx:afterSwap", (event) => {
  // Put the cursor in the first field of a form that htmx just brought in.
  const field = event.detail.target.querySelector("[autofocus]");
  if (field) field.focus();
});

document.addEventListener("click", (event) => {
  // "Cancel" in a drawer (an inline form htmx brought in) empties the drawer; without
  // JavaScript the same link leads back to the page the form belongs to.
  const button = event.target.closest("[data-close-drawer]");
  const drawer = button && button.closest(".drawer");
  if (drawer) {
    event.preventDefault();
    drawer.replaceChildren();
  }
});

// Drag and drop onto a file input's label: the files land in the input, then the form is sent.
// Django keeps only a file's name; send each file's path inside a chosen folder too
// (lightning_logs/version_3/metrics.csv), in the order the files are sent.
document.querySelectorAll("form[data-dropzone]").forEach((form) => {
  const inputs = form.querySelectorAll("input[type=file]");
  const box = form.querySelector("[data-paths]");
  if (!box) return;
  const write = () => {
    box.replaceChildren();
    let any = false;
    inputs.forEach((input) => {
      Array.from(input.files).forEach((file) => {
        any = true;
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "paths";
        field.value = file.webkitRelativePath || file.name;
        box.appendChild(field);
      });
    });
    inputs.forEach((input) => {
      if (!input.hasAttribute("data-folder")) input.required = !any;
    });
  };
  inputs.forEach((input) => input.addEventListener("change", write));
  form.addEventListener("submit", write);
});

document.querySelectorAll("form[data-dropzone]").forEach((form) => {
  const zone = form.querySelector(".dropzone");
  const input = form.querySelector("input[type=file]");
  if (!zone || !input) return;
  ["dragenter", "dragover"].forEach((name) =>
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("is-over");
    }),
  );
  ["dragleave", "drop"].forEach((name) =>
    zone.addEventListener(name, () => zone.classList.remove("is-over")),
  );
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    form.requestSubmit();
  });
});

// One chosen file is sent as the request body itself, with a progress bar: the server stores
// it without parsing a multipart form (about twice as fast on a large file), and the page
// shows how far the upload is. The answer names the import's page, where its progress goes
// on. Several files or a folder go as the form (the server groups them into imports), and so
// does everything when this script is off.
document.querySelectorAll("form[data-dropzone][data-raw-upload]").forEach((form) => {
  const files = form.querySelector("#id_files");
  const folder = form.querySelector("input[data-folder]");
  const status = form.querySelector("[data-upload-status]");
  const button = form.querySelector("button[type=submit]");
  if (!files || !status || !window.XMLHttpRequest) return;
  const megabytes = (bytes) => (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
  const show = (html) => {
    status.hidden = false;
    status.replaceChildren(...html);
  };
  const fail = (message) => {
    button.disabled = false;
    const error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    error.dataset.testid = "upload-error";
    error.textContent = message;
    show([error]);
  };
  form.addEventListener("submit", (event) => {
    if (files.files.length !== 1 || (folder && folder.files.length)) return;
    event.preventDefault();
    const file = files.files[0];
    const query = new URLSearchParams({ name: file.webkitRelativePath || file.name });
    ["format", "run_name", "metric_name"].forEach((name) => {
      const field = form.elements.namedItem(name);
      if (field && field.value.trim()) query.set(name, field.value.trim());
    });
    const bar = document.createElement("progress");
    bar.className = "bar";
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress");
    bar.dataset.testid = "upload-bar";
    const words = document.createElement("p");
    words.className = "small muted";
    words.textContent = `Uploading ${file.name}…`;
    show([bar, words]);
    button.disabled = true;
    const request = new XMLHttpRequest();
    request.open("POST", `${form.action}?${query}`);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", form.elements.namedItem("csrfmiddlewaretoken").value);
    request.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) return;
      bar.max = progress.total;
      bar.value = progress.loaded;
      words.textContent = `Uploading ${file.name}: ${megabytes(progress.loaded)} of ${megabytes(progress.total)} MB`;
    });
    request.addEventListener("load", () => {
      let answer = {};
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = {};
      }
      if (request.status < 300 && answer.url) {
        bar.value = bar.max;
        words.textContent = "Uploaded; opening its import…";
        window.location.assign(answer.url);
      } else if (request.status === 403) {
        fail("The upload was refused: reload the page (your session may have ended) and try again.");
      } else {
        fail(answer.error || `The upload failed (${request.status}); try again.`);
      }
    });
    request.addEventListener("error", () => fail("The upload stopped: check the connection and try again."));
    request.send(file);
  });
});

// A "copy" button beside a read-only field (data-copy names the field's id), such as a mentor
// invitation link: the clipboard when the browser allows it, else the field selected.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  const done = () => {
    button.textContent = "Copied";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
});

// "Quote" on a review page: selecting text in a section's rendered record (a .prose with
// data-quote-for naming the section's quote field) offers a small button that copies the
// passage into that field, opens the section's comment form and puts the cursor in it. The
// server matches quotes against the rendered text, so what the reader selects is what it finds.
(() => {
  const sources = document.querySelectorAll("[data-quote-for]");
  if (!sources.length) return;
  const MAX_QUOTE = 500;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "quote-button";
  button.textContent = "Quote";
  button.hidden = true;
  button.dataset.testid = "quote-button";
  document.body.appendChild(button);
  let picked = null; // {source, text} of the selection the button offers
  let pressing = false; // a tap on the button may clear the selection before its click
  let lastPointer = "mouse";

  const sourceOf = (node) => {
    const element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return element && element.closest("[data-quote-for]");
  };

  // The part of the selection inside one section: a drag that runs on into the next section
  // or the comment column quotes only the section it started (or ended) in.
  const clip = (range) => {
    const source = sourceOf(range.startContainer) || sourceOf(range.endContainer);
    if (!source) return null;
    const inside = range.cloneRange();
    if (!source.contains(range.startContainer)) inside.setStart(source, 0);
    if (!source.contains(range.endContainer)) inside.setEnd(source, source.childNodes.length);
    return { source, range: inside };
  };

  const hide = () => {
    button.hidden = true;
    picked = null;
  };

  const offer = () => {
    if (pressing) return;
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return hide();
    const found = clip(selection.getRangeAt(0));
    if (!found) return hide();
    const whole = found.range.toString() === selection.getRangeAt(0).toString();
    // The selection's own text reads as the page does (list items and paragraphs apart).
    const raw = whole ? selection.toString() : found.range.toString();
    const text = raw.split(/\s+/).join(" ").trim().slice(0, MAX_QUOTE).trim();
    if (!text) return hide();
    picked = { source: found.source, text };
    // Above the passage's first line, out of the text being read; on a touch screen (whose own
    // menu sits above a selection), or with no room above, under its last line.
    const rects = found.range.getClientRects();
    const wholeBox = found.range.getBoundingClientRect();
    const first = rects.length ? rects[0] : wholeBox;
    const last = rects.length ? rects[rects.length - 1] : wholeBox;
    button.hidden = false;
    const width = button.offsetWidth;
    const height = button.offsetHeight;
    const above = lastPointer !== "touch" && first.top - height - 6 > 0;
    const anchor = above ? first.left : last.right - width / 2;
    const page = document.documentElement.clientWidth;
    const left = Math.max(8, Math.min(anchor, page - width - 8));
    const top = above ? first.top - height - 6 : last.bottom + 8;
    button.style.left = `${left + window.scrollX}px`;
    button.style.top = `${top + window.scrollY}px`;
  };

  let pending = 0;
  document.addEventListener("selectionchange", () => {
    window.clearTimeout(pending);
    pending = window.setTimeout(offer, 150);
  });
  ["mouseup", "touchend", "keyup"].forEach((name) =>
    document.addEventListener(name, (event) => {
      if (event.target !== button) window.setTimeout(offer, 0);
    }),
  );
  // Pressing the button must not clear the selection (or the offer) before its click arrives.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("pointerdown", () => {
    pressing = true;
  });
  ["pointerup", "pointercancel"].forEach((name) =>
    document.addEventListener(name, (event) => {
      lastPointer = event.pointerType || "mouse";
      window.setTimeout(() => {
        pressing = false;
      }, 0);
    }),
  );

  button.addEventListener("click", () => {
    pressing = false;
    if (!picked) return;
    const { source, text } = picked;
    hide();
    const field = document.getElementById(source.dataset.quoteFor);
    if (!field) return;
    field.value = text;
    const details = field.closest("details");
    if (details) details.open = true;
    const body = field.form && field.form.querySelector("textarea[name=body]");
    (body || field).scrollIntoView({ block: "center" });
    (body || field).focus({ preventScroll: true });
  });
})();
