// Progressive enhancement only: every control works without this file.
document.documentElement.classList.add("js");

document.addEventListener("htmx:afterSwap", (event) => {
  // Put the cursor in the first field of a form that htmx just brought in.
  const field = event.detail.target.querySelector("[autofocus]");
  if (field) field.focus();
});
