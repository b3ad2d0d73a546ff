/**
 * Markdown anchors as GitHub makes them: a heading's anchor is its text, lower-cased, without punctuation other than
 * hyphens and underscores, spaces turned into hyphens; a repeated anchor gets "-1", "-2", … (github-slugger's rule).
 */

/** The text a heading renders to: inline code without its backticks, links and images without their targets. */
function headingText(raw: string): string {
  return raw
    .replace(/`([^`]*)`/g, "$1")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\*+/g, "")
    .trim();
}

/** The anchor of one heading's text (before de-duplication). */
export function slug(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** One heading of a markdown text: its level (1–6), its text and its anchor, in document order. */
export interface Heading {
  readonly level: number;
  readonly text: string;
  readonly anchor: string;
  /** 1-based line */
  readonly line: number;
}

/** Lines outside fenced code blocks (``` or ~~~), with their 1-based numbers. */
export function proseLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(text);
    if (m) {
      if (fence === undefined) fence = m[1]![0]!.repeat(m[1]!.length);
      else if (m[1]!.startsWith(fence)) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, text });
  });
  return out;
}

/** Every ATX heading (`## Text`) outside code blocks, with GitHub's anchors. */
export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const out: Heading[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const m = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(text);
    if (!m) continue;
    const base = slug(m[2]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ level: m[1]!.length, text: m[2]!, anchor: n === 0 ? base : `${base}-${n}`, line });
  }
  return out;
}

/** The anchors a markdown text defines: its headings' and its HTML `id` / `name` attributes. */
export function anchors(markdown: string): Set<string> {
  const out = new Set(headings(markdown).map((h) => h.anchor));
  for (const { text } of proseLines(markdown))
    for (const m of text.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** Every markdown link with an anchor, outside code: `[t](#a)` (file "") or `[t](<file>.md#a)`. */
export function anchorLinks(markdown: string): { line: number; file: string; anchor: string }[] {
  const out: { line: number; file: string; anchor: string }[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>#]*\.md|)#([^)\s>]*)>?\s*\)/g))
      out.push({ line, file: m[1]!, anchor: decodeURIComponent(m[2]!) });
  }
  return out;
}
