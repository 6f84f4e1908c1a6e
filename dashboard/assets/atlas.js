// Clientside helpers of the Central Region Atlas (served from /assets, no outside requests).

// The screen map's `geo` draws no base layer (its layout has geo.visible false; every boundary comes from
// the atlas's own data), yet Plotly fetches its base topojson (world_110m, 110 KB) before the first draw.
// An empty topology registered under that name draws the same map without the download.
window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
window.PlotlyGeoAssets.topojson.world_110m = window.PlotlyGeoAssets.topojson.world_110m || {
  type: "Topology", arcs: [], objects: Object.fromEntries(
    ["coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits"].map(
      (name) => [name, { type: "GeometryCollection", geometries: [] }])),
};
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  atlas: {
    // Pair the view with the size the map panel will have, so the server can fit the map to its
    // shape. Measured from the window: the panel may be mid-way between the normal layout
    // (controls and details beside it) and presenter mode (the whole window).
    withPanelAspect: function (view, mapId) {
      if (!view) { return window.dash_clientside.no_update; }
      const size = window.atlasPanelSize(view);
      const sized = size.width > 50 && size.height > 100;
      return { view: view, width: sized ? size.width : null, height: sized ? size.height : null };
    },
    // Copy the current view's URL (zoom and pan included) to the clipboard; the status keeps it in its title.
    // Its words come from the page's store of texts (i18n.client_texts), in the view's language.
    copyLink: function (clicks, clientTexts) {
      const href = window.location.href;
      const fallback = () => {
        const area = document.createElement("textarea");
        area.value = href; document.body.appendChild(area); area.select();
        try { document.execCommand("copy"); } catch (e) { /* the URL stays in the status title */ }
        document.body.removeChild(area);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(href).catch(fallback);
      } else { fallback(); }
      const zh = document.documentElement.lang.indexOf("zh") === 0 || (window.location.search.indexOf("lang=zh") >= 0);
      const texts = (clientTexts || {})[zh ? "zh" : "en"] || {};
      return [texts.link_copied || "", href];
    },
    // The view again, for the panels beside the map (details, targets, upload info, story button, callout),
    // once the map's answer for it has come: their requests would otherwise hold the renderer's 12 callback
    // slots, and the map's request (after the one in-browser step that sizes the view) would wait for them.
    // Controls and the export links read the view itself: they must not lag behind it.
    afterMap: function (drawn, view) {
      return view || window.dash_clientside.no_update;
    },
    // The page's language follows the drawn map (screen readers, and the Han glyph forms Chromium picks).
    pageLanguage: function (drawn) {
      const lang = (drawn && drawn.view && drawn.view.lang === "zh") ? "zh-Hans" : "en";
      document.documentElement.lang = lang;
      return lang;
    },
    // The details column takes no room while nothing is selected.
    detailsClass: function (view) {
      return (view && view.select) ? "atlas-details" : "atlas-details atlas-details-empty";
    },
  },
});

// The map panel's size for a view, by the same rules as atlas.css (measured from the window, since the
// panel may be mid-way between layouts): controls and details beside it on wide screens, drawers on phones.
window.atlasPanelSize = function (view) {
  const w = window.innerWidth, h = window.innerHeight;
  const phone = w <= 760;
  const source = 24, toolbar = view.present ? 0 : 40, stepper = view.present ? 62 : 0;
  let side = 0;
  if (!view.present && !phone) {
    side = (w <= 1400 ? 260 : 300) + (view.select ? (w <= 1400 ? 300 : 340) : 0);
  }
  return { width: w - side, height: h - source - toolbar - stepper };
};

// Presenter mode keys: arrows and Page Up/Down (what clickers send) step through the story,
// C shows or hides the controls, Escape leaves presenter mode.
(function () {
  const press = (id) => { const el = document.getElementById(id); if (el) { el.click(); } };
  // While a planner's own story is presented, the keys step through it instead (presenter.js).
  const own = () => !!document.querySelector(".atlas-stepper-own");
  const step = (offset) => press(own() ? (offset > 0 ? "atlas-story-next" : "atlas-story-prev")
    : (offset > 0 ? "atlas-step-next" : "atlas-step-prev"));
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
      ArrowRight: () => step(1),
      ArrowDown: () => step(1),
      PageDown: () => step(1),
      ArrowLeft: () => step(-1),
      ArrowUp: () => step(-1),
      PageUp: () => step(-1),
      c: toggleControls,
      C: toggleControls,
      Escape: () => press("atlas-present"),
    };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
  document.addEventListener("click", function (event) {
    const id = event.target && event.target.id;
    if (id === "atlas-controls-toggle" || id === "atlas-drawer-controls") { toggleControls(); }
    if (id === "atlas-drawer-legend") {  // phones: the legend opens over the map, and closes again
      const graph = document.querySelector("#atlas-map .js-plotly-plot");
      if (graph && window.Plotly) { window.Plotly.relayout(graph, { showlegend: !graph._fullLayout.showlegend }); }
    }
    if (id === "atlas-drawer-details") {
      const root = document.getElementById("atlas-root");
      if (root) { root.classList.toggle("atlas-details-closed"); }
    }
  });
})();
