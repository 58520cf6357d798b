import { AlipayError } from './errors.ts';

/**
 * Splits CSV text into records (RFC 4180: `"` quotes a cell, `""` is a quote inside one, commas and line
 * breaks inside quotes belong to the cell). Lines end in \n or \r\n. Each record keeps its 1-based line number
 * for error messages. An unterminated quote is an error, not a silently merged rest of file.
 */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endRecord = (): void => {
    cells.push(cell);
    records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      if (ch === '\r') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      cell += ch;
    }
    i++;
  }
  if (quoted) throw new AlipayError('malformed_bill', `line ${recordLine}: unterminated quoted cell`);
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}
