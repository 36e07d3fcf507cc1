const slider = document.getElementById("step");
const note = document.getElementById("step-note");
const steps = Array.from(document.querySelectorAll("g.step"));
function show() {
  const n = Number(slider.value);
  let current = null;
  for (const g of steps) {
    const k = Number(g.dataset.step);
    g.style.display = k < n ? "" : "none";
    g.classList.toggle("current", k === n - 1);
    if (k === n - 1) current = g;
  }
  note.textContent = current ? current.dataset.note : "the puzzle as given";
}
slider.addEventListener("input", show);
document.getElementById("play").addEventListener("click", () => {
  slider.value = 0;
  show();
  const timer = setInterval(() => {
    if (Number(slider.value) >= Number(slider.max)) return clearInterval(timer);
    slider.value = Number(slider.value) + 1;
    show();
  }, 300);
});
show();

// a link to a head's card (from a tile or the table) opens the folds around it first
function reveal() {
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (!target) return;
  for (let node = target.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
  }
  target.scrollIntoView();
}
window.addEventListener("hashchange", reveal);
reveal();
