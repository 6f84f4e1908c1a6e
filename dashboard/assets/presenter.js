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
  },
});
