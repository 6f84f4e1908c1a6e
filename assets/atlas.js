// Clientside helpers of the Central Region Atlas (served from /assets, no outside requests).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  atlas: {
    // Pair the view with the map panel's width / height (less the title strip) so the server
    // can fit the map to the panel's shape.
    withPanelAspect: function (view, mapId) {
      if (!view) { return window.dash_clientside.no_update; }
      const el = document.getElementById(mapId);
      let aspect = null;
      if (el) {
        const box = el.getBoundingClientRect();
        if (box.width > 50 && box.height > 100) { aspect = box.width / (box.height - 48); }
      }
      return { view: view, aspect: aspect };
    },
  },
});
