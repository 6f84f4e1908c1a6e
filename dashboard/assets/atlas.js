// Clientside helpers of the Central Region Atlas (served from /assets, no outside requests).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  atlas: {
    // Pair the view with the size the map panel will have, so the server can fit the map to its
    // shape. Measured from the window: the panel may be mid-way between the normal layout
    // (controls and details beside it) and presenter mode (the whole window).
    withPanelAspect: function (view, mapId) {
      if (!view) { return window.dash_clientside.no_update; }
      const source = 34;
      const side = view.present ? 0 : 300 + 340;
      const width = window.innerWidth - side, height = window.innerHeight - source;
      const sized = width > 50 && height > 100;
      return { view: view, width: sized ? width : null, height: sized ? height : null };
    },
  },
});

// Presenter mode keys: arrows and Page Up/Down (what clickers send) step through the story,
// C shows or hides the controls, Escape leaves presenter mode.
(function () {
  const press = (id) => { const el = document.getElementById(id); if (el) { el.click(); } };
  const toggleControls = () => {
    const root = document.getElementById("atlas-root");
    if (root) { root.classList.toggle("atlas-controls-open"); }
  };
  document.addEventListener("keydown", function (event) {
    const root = document.getElementById("atlas-root");
    if (!root || !root.classList.contains("atlas-present")) { return; }
    const tag = (event.target && event.target.tagName) || "";
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    const actions = {
      ArrowRight: () => press("atlas-step-next"),
      ArrowDown: () => press("atlas-step-next"),
      PageDown: () => press("atlas-step-next"),
      ArrowLeft: () => press("atlas-step-prev"),
      ArrowUp: () => press("atlas-step-prev"),
      PageUp: () => press("atlas-step-prev"),
      c: toggleControls,
      C: toggleControls,
      Escape: () => press("atlas-present"),
    };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "atlas-controls-toggle") { toggleControls(); }
  });
})();
