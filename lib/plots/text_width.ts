/**
 * Text widths from a TrueType font's advance widths (`cmap` format 4 and `hmtx`), so that Vega lays out
 * titles, headers, axis labels and legends for the font the PNG is drawn with. Without a canvas Vega
 * guesses 0.8 em a character, about a third more than DejaVu Sans takes, which pushes panels and legends
 * apart. Kerning and ligatures are ignored (a few per cent at most for Latin text).
 *
 * @module
 */

/** Measures `text` at `fontSize` pixels. */
export type TextWidth = (text: string, fontSize: number) => number;

/** Width of a character the font lacks (or outside the BMP), in em. */
const FALLBACK_EM = 0.6;

/**
 * Reads `bytes` (a TrueType font) and returns a width function; throws an Error when the font lacks the
 * tables it needs.
 */
export function fontTextWidth(bytes: Uint8Array): TextWidth {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, number>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const at = 12 + 16 * i;
    const tag = String.fromCharCode(...bytes.subarray(at, at + 4));
    tables.set(tag, view.getUint32(at + 8));
  }
  const table = (tag: string) => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`font has no "${tag}" table`);
    return at;
  };
  const unitsPerEm = view.getUint16(table("head") + 18);
  const numberOfHMetrics = view.getUint16(table("hhea") + 34);
  const hmtx = table("hmtx");
  const advance = (glyph: number) => view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));

  // The Unicode BMP subtable: Windows (3, 1) or Unicode (0, *) in format 4.
  const cmap = table("cmap");
  let sub = -1;
  for (let i = 0, n = view.getUint16(cmap + 2); i < n; i++) {
    const rec = cmap + 4 + 8 * i;
    const [platform, encoding] = [view.getUint16(rec), view.getUint16(rec + 2)];
    const at = cmap + view.getUint32(rec + 4);
    if ((platform === 3 && encoding === 1 || platform === 0) && view.getUint16(at) === 4) {
      sub = at;
      break;
    }
  }
  if (sub < 0) throw new Error("font has no format-4 Unicode cmap");
  const segments = view.getUint16(sub + 6) / 2;
  const ends = sub + 14, starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments, rangeOffsets = deltas + 2 * segments;
  const glyphOf = (code: number): number => {
    for (let s = 0; s < segments; s++) {
      if (code > view.getUint16(ends + 2 * s)) continue;
      const start = view.getUint16(starts + 2 * s);
      if (code < start) return 0;
      const delta = view.getUint16(deltas + 2 * s);
      const ro = view.getUint16(rangeOffsets + 2 * s);
      if (ro === 0) return (code + delta) & 0xffff;
      const g = view.getUint16(rangeOffsets + 2 * s + ro + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };

  const ems = new Map<number, number>();
  const em = (code: number): number => {
    let w = ems.get(code);
    if (w === undefined) {
      const g = code > 0xffff ? 0 : glyphOf(code);
      w = g === 0 ? FALLBACK_EM : advance(g) / unitsPerEm;
      ems.set(code, w);
    }
    return w;
  };
  return (text, fontSize) => {
    let total = 0;
    for (const ch of text) total += em(ch.codePointAt(0)!);
    return total * fontSize;
  };
}
