/**
 * A seed study's headline in a notebook: the claim, the measurements as a list, the verdict.
 * The report prints the same findings as paragraphs (`claimText`).
 */
import { type ClaimFindings, VERDICT_LEAD } from "../analyses/seed-study.ts";

export interface ClaimFindingsOptions {
  /** Document to create the elements in. Defaults to the global document. */
  document?: Document;
}

/**
 * `<div class="atlas-claims">` holding `p.atlas-claim`, `ul.atlas-measured` and
 * `p.atlas-findings`: every sentence is text, never markup (they name bundles and layers).
 *
 * @example
 *   display(claimFindings(somClaimFindings(study)));
 */
export function claimFindings(f: ClaimFindings, options: ClaimFindingsOptions = {}): HTMLElement {
  const document = options.document ?? globalThis.document;
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, className?: string) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  };
  const lead = (p: HTMLElement, words: string, text: string) => {
    const b = el("b");
    b.textContent = words;
    p.append(b, ` ${text}`);
    return p;
  };
  const root = el("div", "atlas-claims");
  const measured = el("ul", "atlas-measured");
  for (const m of f.measured) {
    const li = el("li");
    li.textContent = m;
    measured.append(li);
  }
  root.append(
    lead(el("p", "atlas-claim"), "Claim.", f.claim),
    measured,
    lead(el("p", "atlas-findings"), VERDICT_LEAD, f.verdict.join(" ")),
  );
  return root;
}
