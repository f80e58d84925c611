import { inflateSync } from 'node:zlib';

/**
 * The text a PDF shows: its content streams inflated, the strings of their TJ operators decoded.
 * Each stream is cut by the `/Length` of its dictionary, not by searching for `endstream`: compressed
 * bytes may end in a carriage return, which a search would take for the line break before
 * `endstream` and so cut one byte short (that flaked once in a hundred invoices).
 */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  for (const match of raw.matchAll(/\/Length (\d+)(?![\d ]* R)[^]*?>>\s*stream\r?\n/g)) {
    const start = match.index + match[0].length;
    const bytes = Buffer.from(raw.slice(start, start + Number(match[1])), 'latin1');
    let content: string;
    try {
      content = inflateSync(bytes).toString('latin1');
    } catch {
      content = bytes.toString('latin1');
    }
    for (const tj of content.matchAll(/\[(.*?)\]\s*TJ/g)) {
      lines.push([...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((hex) => Buffer.from(hex[1]!, 'hex').toString('latin1')).join(''));
    }
  }
  return lines.join('\n');
}
