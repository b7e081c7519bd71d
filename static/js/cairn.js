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
