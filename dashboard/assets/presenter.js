// Presenter mode's clientside helpers (served from /assets): clear a hover label left from the last step.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  atlas_presenter: {
    // A new step redraws the map under a mouse that has not moved: plotly keeps the old hover label
    // until the next mouse move. Clear it now and once more after the redraw lands.
    unhover: function () {
      const graph = document.querySelector("#atlas-map .js-plotly-plot");
      if (!graph || !window.Plotly || !window.Plotly.Fx) { return window.dash_clientside.no_update; }
      const clear = () => { try { window.Plotly.Fx.unhover(graph); } catch (e) { /* not drawn yet */ } };
      clear();
      if (graph.once) { graph.once("plotly_afterplot", clear); }
      window.requestAnimationFrame(clear);
      return Date.now();
    },
    // While a planner's story is presented, the map's title strip shows its step (title, caption and section)
    // as it does for the bundled story; every redraw from the server sets the view's own title, so it is set
    // again after each. `strip`: texts escaped by the server; null outside the planner's story.
    ownTitle: function (strip) {
      const graph = document.querySelector("#atlas-map .js-plotly-plot");
      window.atlasOwnTitle = strip || null;
      if (!graph || !window.Plotly) { return window.dash_clientside.no_update; }
      const apply = () => {
        const want = window.atlasOwnTitle;
        const layout = graph.layout || {};
        const title = (layout.title && layout.title.text) || "";
        if (want && title !== want.title) {
          window.Plotly.relayout(graph, { "title.text": want.title, "title.subtitle.text": want.subtitle });
        }
      };
      if (!graph._atlasOwnTitle && graph.on) { graph.on("plotly_afterplot", apply); graph._atlasOwnTitle = true; }
      apply();
      return Date.now();
    },
  },
});
