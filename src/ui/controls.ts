/**
 * Notebook controls generated from an analysis' parameter table: the label, range, step,
 * choices, default and glossary tooltip come from the descriptor, and the initial value from the
 * URL (checked by the descriptor's own resolver; an invalid value falls back to the default).
 * Every control carries `data-param` so tests can check it against its declaration.
 *
 * @example
 *   const intervals = view(atlas.control(atlas.ANALYSES.mapper, "intervals", bundle));
 */
import * as Inputs from "@observablehq/inputs";
import type { AnalysisBundle } from "../analyses/columns.ts";
import {
  checkParam,
  controlRange,
  defaultOf,
  layerChoices,
  parseParam,
  type ParamSpec,
  type SomeAnalysis,
} from "../analyses/descriptor.ts";
import { glossaryEntry } from "./glossary.ts";

export interface ControlOptions {
  /** Greyed out (e.g. "Conv maps as" on a bundle without conv layers). */
  disabled?: boolean;
  /** Initial value when the URL gives none (default: the parameter's default). */
  value?: unknown;
  /** Query-string key the initial value is read from (default: the parameter's name; null: none). */
  urlKey?: string | null;
}

type InputElement = HTMLElement & { value: unknown };

/** The URL's value for a parameter, parsed and checked, or undefined when absent or invalid. */
export function urlValue(
  descriptor: SomeAnalysis,
  name: string,
  bundle: AnalysisBundle,
  key: string = name,
): unknown {
  const search = new URLSearchParams(globalThis.location?.search ?? "");
  const spec = descriptor.params[name];
  // A link made before a rename still opens with its value.
  const raw = search.get(key) ?? (key === name && spec.formerly ? search.get(spec.formerly) : null);
  if (raw === null) return undefined;
  try {
    return checkParam(name, spec, parseParam(name, spec, raw), bundle);
  } catch {
    return undefined;
  }
}

/** The initial value of a control: the URL's, else the caller's, else the declared default. */
export function initialValue(
  descriptor: SomeAnalysis,
  name: string,
  bundle: AnalysisBundle,
  options: ControlOptions = {},
): unknown {
  const spec = descriptor.params[name];
  if (!spec) throw new Error(`${descriptor.name} has no parameter ${name}`);
  const fromUrl =
    options.urlKey === null
      ? undefined
      : urlValue(descriptor, name, bundle, options.urlKey ?? name);
  return fromUrl ?? options.value ?? defaultOf(spec, bundle);
}

/**
 * `values` as they go into the URL, without each parameter whose default depends on the bundle
 * (a sample count capped by the bundle's size, a test split if it has one) while it still holds
 * that default: a view shared as a link, or the next bundle opened on the page, then starts from
 * its own bundle's default instead of this one's. A value the reader chose stays.
 */
export function urlValues<V extends Record<string, unknown>>(
  descriptor: SomeAnalysis,
  bundle: AnalysisBundle,
  values: V,
): { [K in keyof V]: V[K] | null } {
  const out: Record<string, unknown> = { ...values };
  for (const [name, value] of Object.entries(values)) {
    const spec = descriptor.params[name];
    if (spec && typeof spec.default === "function" && sameValue(value, defaultOf(spec, bundle)))
      out[name] = null;
  }
  return out as { [K in keyof V]: V[K] | null };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/**
 * A control built by hand for a declared parameter whose choices come from a result (e.g. the
 * ε values som-codes computed): tagged, described and named like a generated one.
 */
export function bindControl<E extends HTMLElement>(
  descriptor: SomeAnalysis,
  name: string,
  element: E,
): E {
  const spec = descriptor.params[name];
  if (!spec) throw new Error(`${descriptor.name} has no parameter ${name}`);
  describe(element, name, spec, descriptor);
  return element;
}

/**
 * Tag a control with its parameter and give it its words: an accessible name on every input,
 * and the parameter's doc (with its unit, and the glossary's definition when the label names a
 * term of art) as a tooltip on the label and as the inputs' accessible description.
 */
function describe(
  element: HTMLElement,
  name: string,
  spec: ParamSpec,
  descriptor: SomeAnalysis,
): void {
  element.dataset.param = name;
  element.dataset.analysis = descriptor.name;
  const entry = glossaryEntry(spec.label);
  const text =
    spec.doc +
    (spec.unit ? ` (${spec.unit})` : "") +
    (entry ? ` ${entry.term}: ${entry.definition}` : "");
  nameInputs(element, spec.label);
  const document = element.ownerDocument;
  const tip = document.createElement("span");
  tip.className = "atlas-tip";
  tip.id = `atlas-param-${descriptor.name}-${name}-${++describedCount}`;
  tip.setAttribute("role", "tooltip");
  tip.textContent = text;
  const label = element.querySelector(
    ":scope > label, :scope > .atlas-auto-label, :scope > form > label",
  );
  if (label) {
    label.classList.add("atlas-term");
    label.appendChild(tip);
  } else {
    tip.hidden = true;
    element.appendChild(tip);
  }
  for (const input of Array.from(element.querySelectorAll("input, select, textarea"))) {
    const ids = (input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
    input.setAttribute("aria-describedby", [...ids, tip.id].join(" "));
  }
}

let describedCount = 0;

/**
 * Give every input of a control an accessible name: Inputs' range and number boxes have a
 * visible label that is not tied to them. Inputs inside a <label> (radio buttons, check boxes)
 * or named by a <label for> keep their own name.
 */
function nameInputs(element: HTMLElement, label: string): void {
  for (const input of Array.from(element.querySelectorAll("input, select"))) {
    if (input.getAttribute("aria-label") || input.closest("label")) continue;
    if (input.id && element.querySelector(`label[for="${input.id}"]`)) continue;
    input.setAttribute("aria-label", label);
  }
}

/** A control for one parameter of `descriptor`, for `view(...)` in a notebook. */
export function control(
  descriptor: SomeAnalysis,
  name: string,
  bundle: AnalysisBundle,
  options: ControlOptions = {},
): InputElement {
  const spec = descriptor.params[name];
  if (!spec) throw new Error(`${descriptor.name} has no parameter ${name}`);
  const value = initialValue(descriptor, name, bundle, options);
  const element = build(spec, bundle, value, options.disabled ?? false);
  describe(element, name, spec, descriptor);
  return element;
}

function build(
  spec: ParamSpec,
  bundle: AnalysisBundle,
  value: unknown,
  disabled: boolean,
): InputElement {
  const label = spec.label;
  switch (spec.type) {
    case "integer":
    case "number": {
      const { min, max, step } = controlRange(spec, bundle);
      const control = spec.control ?? {};
      const input = "input" in control ? control.input : undefined;
      if (input === "select" && "options" in control && control.options) {
        const options = [
          ...(spec.auto ? ["auto"] : []),
          ...control.options.filter((o) => o >= min && o <= max),
        ];
        return Inputs.select(options, {
          label,
          value: options.includes(value as never) ? value : options[0],
          disabled,
        }) as InputElement;
      }
      const number = (start: number) =>
        (input === "number"
          ? Inputs.number([min, max], {
              label: spec.auto ? null : label,
              step,
              value: start,
              disabled,
            })
          : Inputs.range([min, Math.max(min, max)], {
              label: spec.auto ? null : label,
              step,
              value: Math.min(max, Math.max(min, start)),
              disabled,
            })) as InputElement;
      if (!spec.auto) return number(value as number);
      const middle = min + Math.round((Math.min(max, min + 100 * step) - min) / 2 / step) * step;
      return autoNumber(
        label,
        value,
        () => number(value === "auto" ? middle : (value as number)),
        disabled,
      );
    }
    case "keyword": {
      const choices = [...(spec.available?.(bundle) ?? spec.choices)];
      const format = (c: string) => spec.labels?.[c] ?? c;
      const chosen = choices.includes(value as string) ? value : choices[0];
      if (spec.control?.input === "radio")
        return Inputs.radio(choices, { label, value: chosen, format, disabled }) as InputElement;
      return Inputs.select(choices, { label, value: chosen, format, disabled }) as InputElement;
    }
    case "boolean":
      return Inputs.toggle({ label, value: Boolean(value), disabled }) as InputElement;
    case "layer":
      return Inputs.select(layerChoices(spec, bundle), { label, value, disabled }) as InputElement;
    case "layers": {
      const layers = layerChoices(spec, bundle);
      const chosen = (value as string[]).length ? (value as string[]) : layers;
      return Inputs.checkbox(layers, { label, value: chosen, disabled }) as InputElement;
    }
    case "keywords": {
      const choices = [...(spec.available?.(bundle) ?? spec.choices)];
      return Inputs.checkbox(choices, { label, value, disabled }) as InputElement;
    }
    case "numbers":
      return textList(label, value as number[], disabled);
  }
}

/** A number that may be "auto": a checkbox "auto" beside the slider, whose value is "auto" or the number. */
function autoNumber(
  label: string,
  value: unknown,
  number: () => InputElement,
  disabled: boolean,
): InputElement {
  const isAuto = value === "auto";
  const slider = number();
  const root = slider.ownerDocument.createElement("div") as unknown as InputElement;
  root.className = "atlas-auto-number";
  const caption = slider.ownerDocument.createElement("span");
  caption.className = "atlas-auto-label";
  caption.textContent = label;
  const box = Inputs.toggle({ label: "auto", value: isAuto, disabled }) as InputElement;
  const sync = () => {
    for (const input of Array.from(slider.querySelectorAll("input")))
      input.disabled = disabled || (box.value as boolean);
  };
  sync();
  box.addEventListener("input", () => {
    sync();
    root.dispatchEvent(new Event("input", { bubbles: true }));
  });
  slider.addEventListener("input", (event) => {
    event.stopPropagation();
    root.dispatchEvent(new Event("input", { bubbles: true }));
  });
  root.append(caption, box, slider);
  Object.defineProperty(root, "value", {
    get: () => (box.value ? "auto" : slider.value),
    set: (v: unknown) => {
      box.value = v === "auto";
      if (v !== "auto") slider.value = v;
      sync();
    },
  });
  return root;
}

/** A comma-separated list of numbers. */
function textList(label: string, value: number[], disabled: boolean): InputElement {
  const text = Inputs.text({ label, value: value.join(", "), disabled }) as InputElement;
  const root = text.ownerDocument.createElement("div") as unknown as InputElement;
  root.append(text);
  text.addEventListener("input", (event) => {
    event.stopPropagation();
    root.dispatchEvent(new Event("input", { bubbles: true }));
  });
  Object.defineProperty(root, "value", {
    get: () =>
      String(text.value)
        .split(",")
        .map((s) => Number(s.trim()))
        .filter((n) => Number.isFinite(n)),
  });
  return root;
}
