/** The parts of @observablehq/inputs (which ships no types) that src/ui uses. */
declare module "@observablehq/inputs" {
  interface InputOptions {
    label?: string | null;
    value?: unknown;
    disabled?: boolean;
    format?: (value: never) => string;
    step?: number;
  }
  type Input = HTMLElement & { value: unknown };
  export function range(extent: [number, number], options?: InputOptions): Input;
  export function number(extent: [number, number], options?: InputOptions): Input;
  export function select(choices: readonly unknown[], options?: InputOptions): Input;
  export function radio(choices: readonly unknown[], options?: InputOptions): Input;
  export function checkbox(choices: readonly unknown[], options?: InputOptions): Input;
  export function toggle(options?: InputOptions): Input;
  export function text(options?: InputOptions & { placeholder?: string }): Input;
}
