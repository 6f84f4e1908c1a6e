// Smooth pan and zoom of the screen map. While a drag or a wheel turn goes on, each frame moves the drawn map
// as one picture (its layers lifted into an SVG of their own, which the compositor moves without repainting a
// path); when the gesture ends, one relayout sets the view's new centre and scale and Plotly draws it for real.
//
// Why it is exact: the map keeps the atlas's conic projection with its fixed central meridian (north stays up,
// as in print). Moving the centre of that projection moves the drawing in the plane, and changing its scale
// scales the drawing about the centre, so a drag is a translation of the drawn map and a wheel turn a scaling
// about the cursor: the frames show what the final redraw will draw, to the pixel. (Plotly's own geo pan
// turns the globe under the cone instead: the map tilts, and the view it reports, a rotation, is not one the
// atlas's URL, exports and print keep. Its touch gestures still do that, and are brought back to the fixed
// meridian when they end.)
(function () {
  // The drag surface and the frame stay where they are; every other layer of the subplot moves.
  const FIXED = { bg: true, frame: true };
  // A pointer that moved less than this (CSS px) between press and release clicked: the click goes on to Plotly.
  const CLICK_SLOP_PX = 3;
  // A wheel turn ends when no notch came for this long (ms); d3's own wheel zoom waits 50 ms.
  const WHEEL_END_MS = 160;
  // d3's wheel step: each pixel of deltaY zooms by 2^-0.002 (a line is 40 px, a page 800).
  const WHEEL_RATE = 0.002;
  // Gesture frames so far, and the relayouts that ended gestures (the benchmark and the tests read them).
  const STATS = { frames: 0, ends: 0 };

  // Software raster repaints every path of a moved SVG group each frame. So during a gesture the data layers
  // are lifted into an SVG of their own (a compositor layer, clipped to the map's box by its frame) that the
  // compositor moves without repainting; `land` puts them back where they were.
  function lift(subplot) {
    if (subplot._atlasLifted) { return subplot._atlasLifted; }
    const paper = subplot.framework.node().ownerSVGElement;
    const container = paper && paper.parentNode;
    if (!container) { return null; }
    const x = subplot.xaxis._offset, y = subplot.yaxis._offset;
    const frame = document.createElement("div");
    frame.className = "atlas-gesture-frame";
    Object.assign(frame.style, {
      position: "absolute", left: x + "px", top: y + "px", width: subplot.xaxis._length + "px",
      height: subplot.yaxis._length + "px", overflow: "hidden", pointerEvents: "none",
    });
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", paper.getAttribute("width"));
    svg.setAttribute("height", paper.getAttribute("height"));
    Object.assign(svg.style, {
      position: "absolute", left: -x + "px", top: -y + "px", overflow: "visible",
      transformOrigin: "0 0", willChange: "transform",
    });
    const moved = Object.keys(subplot.layers).filter((name) => !FIXED[name]).map((name) => subplot.layers[name].node());
    moved.forEach((node) => svg.appendChild(node));
    frame.appendChild(svg);
    container.insertBefore(frame, paper.nextSibling);
    subplot._atlasLifted = { svg: svg, frame: frame, moved: moved };
    return subplot._atlasLifted;
  }

  function land(subplot) {
    const lifted = subplot._atlasLifted;
    if (!lifted) { return; }
    subplot._atlasLifted = null;
    const framework = subplot.framework.node();
    lifted.moved.forEach((node) => framework.appendChild(node));
    lifted.frame.remove();
  }

  // Show the drawn map moved by the similarity p -> k p + t (paper pixels).
  function show(subplot, move) {
    const lifted = lift(subplot);
    if (!lifted) { return; }
    STATS.frames += 1;
    lifted.svg.style.transform = "matrix(" + [move.k, 0, 0, move.k, move.tx, move.ty].map((v) => +v.toFixed(4)) + ")";
  }

  // The view that draws the moved map for real: where the frame's middle came from is the new centre.
  function commit(gd, subplot, move) {
    const projection = subplot.projection, [mx, my] = subplot.midPt;
    const centre = projection.invert([(mx - move.tx) / move.k, (my - move.ty) / move.k]);
    const scale = gd._fullLayout[subplot.id].projection.scale * move.k;
    if (!centre || !isFinite(centre[0]) || !isFinite(centre[1])) { land(subplot); return; }
    STATS.ends += 1;
    const update = {};
    update[subplot.id + ".center.lon"] = centre[0];
    update[subplot.id + ".center.lat"] = centre[1];
    if (move.k !== 1) { update[subplot.id + ".projection.scale"] = scale; }
    window.Plotly.relayout(gd, update);  // its redraw lands the layers; Dash reads the view from its event
  }

  function surface(subplot) { return subplot.bgRect && subplot.bgRect.node(); }

  // A mouse drag on the map: a translation of the drawn map, frame by frame.
  function onPress(gd, subplot, event) {
    if (event.button !== 0 || gd._fullLayout.dragmode !== "pan") { return; }
    event.stopImmediatePropagation();  // Plotly's own pan (a turn of the globe) never starts
    event.preventDefault();
    const x0 = event.clientX, y0 = event.clientY, move = { k: 1, tx: 0, ty: 0 };
    let dragged = false;
    const onMove = (e) => {
      e.stopPropagation();  // no hover label while the map moves
      move.tx = e.clientX - x0;
      move.ty = e.clientY - y0;
      if (!dragged && Math.hypot(move.tx, move.ty) >= CLICK_SLOP_PX) {
        dragged = true;
        if (window.Plotly.Fx) { window.Plotly.Fx.unhover(gd); }
      }
      if (dragged) { show(subplot, move); }
    };
    const onRelease = () => {
      window.removeEventListener("mousemove", onMove, true);
      window.removeEventListener("mouseup", onRelease, true);
      if (!dragged) { return; }  // a click: the browser's click event goes on to Plotly
      const swallow = (e) => { e.stopPropagation(); e.preventDefault(); };
      window.addEventListener("click", swallow, { capture: true, once: true });  // a drag selects nothing
      setTimeout(() => window.removeEventListener("click", swallow, true), 0);
      commit(gd, subplot, move);
    };
    window.addEventListener("mousemove", onMove, true);
    window.addEventListener("mouseup", onRelease, true);
  }

  // A wheel turn over the map: a scaling about the cursor, kept within the layout's scale range.
  function onWheel(gd, subplot, event) {
    const layout = gd._fullLayout, config = gd._context;
    if (!config || !config._scrollZoom || !config._scrollZoom.geo) { return; }
    event.stopImmediatePropagation();  // not Plotly's wheel zoom (it turns the globe to keep the cursor's place)
    event.preventDefault();
    const box = surface(subplot).ownerSVGElement.getBoundingClientRect();
    const cx = event.clientX - box.left, cy = event.clientY - box.top;
    const pixels = event.deltaY * (event.deltaMode === 1 ? 40 : event.deltaMode === 2 ? 800 : 1);
    const move = subplot._atlasWheel || { k: 1, tx: 0, ty: 0 };
    const projection = layout[subplot.id].projection, scale = projection.scale;
    const lowest = (projection.minscale || 0) / scale, highest = (projection.maxscale || Infinity) / scale;
    const k = Math.min(Math.max(move.k * Math.pow(2, -pixels * WHEEL_RATE), lowest), highest);
    const step = k / move.k;
    move.tx = step * move.tx + cx * (1 - step);
    move.ty = step * move.ty + cy * (1 - step);
    move.k = k;
    subplot._atlasWheel = move;
    show(subplot, move);
    clearTimeout(subplot._atlasWheelEnd);
    subplot._atlasWheelEnd = setTimeout(() => {
      subplot._atlasWheel = null;
      commit(gd, subplot, move);
    }, WHEEL_END_MS);
  }

  // Give one `geo` subplot its gestures: its methods wrapped once, its drag surface listened to (Plotly may
  // make a new surface when it rebuilds the layers).
  function attachSubplot(gd, subplot) {
    if (!subplot || !surface(subplot) || !subplot.projection.invert) { return; }
    if (!subplot._atlasGesture) {
      subplot._atlasGesture = true;
      subplot._atlasMeridian = subplot.projection.rotate()[0];
      // Plotly's update rebuilds the layer list from the subplot's frame and redraws the paths in the same task:
      // the layers land there, so no frame shows them back where the gesture began.
      ["update", "_render"].forEach((name) => {
        const step = subplot[name];
        if (typeof step !== "function") { return; }
        subplot[name] = function () {
          land(this);
          return step.apply(this, arguments);
        };
      });
    }
    const rect = surface(subplot);
    if (rect._atlasGesture) { return; }
    rect._atlasGesture = true;
    rect.addEventListener("mousedown", (event) => onPress(gd, subplot, event), true);
    rect.addEventListener("wheel", (event) => onWheel(gd, subplot, event), { capture: true, passive: false });
  }

  // A touch pan or pinch is still Plotly's: when it reports a turned globe, keep its centre and scale and turn
  // the projection back to the atlas's meridian.
  function onRelayout(gd, event) {
    const layout = gd._fullLayout;
    ((layout._subplots && layout._subplots.geo) || []).forEach((id) => {
      const subplot = layout[id] && layout[id]._subplot;
      const turned = event[id + ".projection.rotation.lon"];
      if (!subplot || turned === undefined) { return; }
      const meridian = -subplot._atlasMeridian;
      if (Math.abs(turned - meridian) < 1e-9 && !event[id + ".projection.rotation.lat"]) { return; }  // ours
      const centre = subplot.projection.invert(subplot.midPt);
      if (!centre) { return; }
      const update = {};
      update[id + ".projection.rotation.lon"] = meridian;
      update[id + ".projection.rotation.lat"] = 0;
      update[id + ".center.lon"] = centre[0];
      update[id + ".center.lat"] = centre[1];
      setTimeout(() => window.Plotly.relayout(gd, update), 0);  // after Plotly's own relayout has finished
    });
  }

  // Attach to every `geo` subplot of a drawn graph div.
  function attach(gd) {
    const layout = gd && gd._fullLayout;
    if (!layout) { return; }
    ((layout._subplots && layout._subplots.geo) || []).forEach((id) => attachSubplot(gd, layout[id] && layout[id]._subplot));
    if (gd.on && gd.removeListener) {  // once per graph (Plotly.purge drops a graph's listeners: set it again)
      if (gd._atlasOnRelayout) { gd.removeListener("plotly_relayout", gd._atlasOnRelayout); }
      gd._atlasOnRelayout = (event) => onRelayout(gd, event || {});
      gd.on("plotly_relayout", gd._atlasOnRelayout);
    }
  }

  // Every graph Plotly draws on the page gets the gestures (Dash's dcc.Graph draws through window.Plotly).
  function wrapPlotly(Plotly) {
    if (!Plotly || Plotly._atlasGesture) { return; }
    Plotly._atlasGesture = true;
    ["newPlot", "react"].forEach((name) => {
      const draw = Plotly[name];
      Plotly[name] = function (gd) {
        const out = draw.apply(this, arguments);
        Promise.resolve(out).then(() => attach(typeof gd === "string" ? document.getElementById(gd) : gd), () => {});
        return out;
      };
    });
  }

  window.atlasGesture = { stats: STATS };
  if (window.Plotly) { wrapPlotly(window.Plotly); }
  document.addEventListener("DOMContentLoaded", () => wrapPlotly(window.Plotly));
})();
