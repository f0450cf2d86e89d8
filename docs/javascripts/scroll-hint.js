// Mark each table wrapper whose table is wider than the column (Material scrolls the wrapper),
// so CSS can show a "scroll sideways" hint above it; re-checked when the window changes size,
// since a table that scrolls on a phone may fit on a wider screen. Material adds the wrappers
// itself once the page is set up, which its document$ observable announces.
function markScrollingTables() {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach((wrap) => {
    wrap.classList.toggle("mtls-scrolls", wrap.scrollWidth > wrap.clientWidth + 1);
  });
}
document$.subscribe(() => requestAnimationFrame(markScrollingTables));
window.addEventListener("resize", markScrollingTables);
