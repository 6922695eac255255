// The page side of HighlightStepper (_stepper.py): previous / play / next, a play speed, the
// position counter, and the current position's outlines drawn on a <canvas> laid over the
// ipympl figure. Everything a step needs is already in the model (`steps`), so a step, a
// play tick or a click on a position's target only sets `value` here: the change event
// redraws the overlay (and every StepText) at once, and save_changes tells Python.

function button(label, className) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  node.className = `jupyter-button widget-button ${className}`;
  return node;
}

// The ipympl canvas container of the figure this stepper was made for: the nearest one
// around the stepper's view that carries the stepper's `figure_class`.
function findFigure(el, figureClass) {
  for (let node = el.parentElement; node; node = node.parentElement) {
    const figure = node.querySelector(`.${figureClass}`);
    if (figure) return figure.querySelector(".jupyter-matplotlib-canvas-div");
  }
  return null;
}

function render({ model, el, signal }) {
  const previous = button("◀ previous", "convlessons-previous");
  const play = button("▶ play", "convlessons-play");
  const next = button("next ▶", "convlessons-next");
  const speed = document.createElement("select");
  speed.className = "convlessons-speed";
  speed.title = "play speed";
  for (const perSecond of model.get("speeds")) {
    const option = document.createElement("option");
    option.value = String(Math.round(1000 / perSecond));
    option.textContent = `${perSecond} / s`;
    speed.append(option);
  }
  const counter = document.createElement("span");
  counter.className = "convlessons-counter";
  el.append(previous, play, next, speed, counter);

  const overlay = document.createElement("canvas");
  overlay.className = "convlessons-stepper-overlay";
  let figure = null; // ipympl's canvas container, once it is in the page
  let timer = null; // the next play tick

  const count = () => model.get("steps").length;
  const go = (position) => {
    const clamped = Math.min(Math.max(position, 0), Math.max(count() - 1, 0));
    if (clamped === model.get("value")) return;
    model.set("value", clamped); // "change:value" redraws, synchronously
    model.save_changes();
  };

  function draw() {
    const steps = model.get("steps");
    const value = model.get("value");
    counter.textContent = steps.length ? `${value + 1} / ${steps.length}` : "–";
    previous.disabled = !steps.length || value === 0;
    next.disabled = !steps.length || value >= steps.length - 1;
    play.disabled = steps.length < 2;
    if (!figure) return;
    const shown = figure.querySelector("canvas"); // ipympl's figure canvas
    const width = shown.clientWidth;
    const height = shown.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    overlay.style.width = `${width}px`;
    overlay.style.height = `${height}px`;
    if (overlay.width !== Math.round(width * ratio)) overlay.width = Math.round(width * ratio);
    if (overlay.height !== Math.round(height * ratio)) overlay.height = Math.round(height * ratio);
    const context = overlay.getContext("2d");
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, overlay.width, overlay.height);
    const step = steps[value];
    overlay.hidden = !step;
    if (!step) return;
    const scale = (width / model.get("figure_size")[0]) * ratio; // figure pixels → canvas
    context.setTransform(scale, 0, 0, scale, 0, 0);
    const styles = model.get("styles");
    const pixelsPerPoint = model.get("pixels_per_point");
    for (const [style, x, y, w, h] of step.outlines) {
      context.strokeStyle = styles[style].color;
      context.lineWidth = styles[style].width * pixelsPerPoint;
      context.strokeRect(x, y, w, h);
    }
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    play.textContent = "▶ play";
  }

  function start() {
    if (model.get("value") >= count() - 1) go(0);
    play.textContent = "⏸ pause";
    let due = performance.now();
    const tick = () => {
      go(model.get("value") + 1);
      if (model.get("value") >= count() - 1) return stop();
      due += model.get("interval_ms");
      timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    due += model.get("interval_ms");
    timer = setTimeout(tick, model.get("interval_ms"));
  }

  // A click on a position's target (the explorer's output cell) selects that position.
  function select(event) {
    const box = figure.querySelector("canvas").getBoundingClientRect();
    const [figureWidth, figureHeight] = model.get("figure_size");
    const x = ((event.clientX - box.left) * figureWidth) / box.width;
    const y = ((event.clientY - box.top) * figureHeight) / box.height;
    const index = model.get("steps").findIndex(
      ({ target: [left, top, w, h] }) => x >= left && x < left + w && y >= top && y < top + h,
    );
    if (index >= 0) go(index);
  }

  previous.addEventListener("click", () => go(model.get("value") - 1));
  next.addEventListener("click", () => go(model.get("value") + 1));
  play.addEventListener("click", () => (timer === null ? start() : stop()));
  speed.value = String(model.get("interval_ms"));
  speed.addEventListener("change", () => {
    model.set("interval_ms", Number(speed.value));
    model.save_changes();
  });
  model.on("change:value", draw);
  model.on("change:steps", () => {
    stop();
    draw();
  });
  model.on("change:figure_size", draw); // sent with the steps: one redraw
  model.on("change:interval_ms", () => (speed.value = String(model.get("interval_ms"))));

  // The figure's view is rendered separately: attach the overlay once both are in the page
  // (looking for at most ~5 s of frames once the stepper is; a stepper shown without its
  // figure just has no overlay).
  const resized = new ResizeObserver(draw);
  let searches = 300;
  let frame = requestAnimationFrame(function attach() {
    figure = el.isConnected ? findFigure(el, model.get("figure_class")) : null;
    if (!figure) {
      if (!el.isConnected || --searches > 0) frame = requestAnimationFrame(attach);
      return;
    }
    figure.append(overlay);
    figure.addEventListener("click", select);
    resized.observe(figure.querySelector("canvas"));
    draw();
  });
  draw();

  signal.addEventListener("abort", () => {
    stop();
    cancelAnimationFrame(frame);
    resized.disconnect();
    figure?.removeEventListener("click", select);
    overlay.remove();
  });
}

export default { render };
