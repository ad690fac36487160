// Next / previous record with the arrow keys (or j / k), unless the user is typing.
document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = { ArrowRight: "next", j: "next", ArrowLeft: "previous", k: "previous" }[event.key];
  const link = target && document.getElementById(target);
  if (link) window.location.href = link.getAttribute("href");
});
