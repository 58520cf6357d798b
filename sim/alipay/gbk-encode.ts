// GBK encoding for the simulated bill. Node can decode GBK (full ICU) but has no encoder, so the table is
// built once by decoding every two-byte GBK code and inverting the result; no extra dependency needed.
let table: Map<string, number> | null = null;

function build(): Map<string, number> {
  const decoder = new TextDecoder('gbk');
  const map = new Map<string, number>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const ch = decoder.decode(Uint8Array.of(lead, trail));
      if (ch.length === 1 && ch !== '\uFFFD' && !map.has(ch)) map.set(ch, (lead << 8) | trail);
    }
  }
  return map;
}

/** String → GBK bytes. A character GBK cannot hold is an error (the sim never writes a lossy file). */
export function encodeGbk(text: string): Buffer {
  table ??= build();
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const pair = table.get(ch);
    if (pair === undefined) throw new Error(`GBK cannot encode ${JSON.stringify(ch)}`);
    out.push(pair >> 8, pair & 0xff);
  }
  return Buffer.from(out);
}
