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
