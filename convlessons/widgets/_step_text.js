// The page side of StepText (_stepper.py): one text of the stepper's current position,
// redrawn from the stepper's own model on every step (no kernel round trip).

async function render({ model, el, host }) {
  const stepper = await host.getModel(model.get("stepper"));
  const field = model.get("field");
  const show = () => {
    const step = stepper.get("steps")[stepper.get("value")];
    const texts = step ? step.texts : stepper.get("idle_texts");
    el.innerHTML = texts[field] ?? "";
  };
  for (const name of ["value", "steps", "idle_texts"]) stepper.on(`change:${name}`, show);
  show();
}

export default { render };
