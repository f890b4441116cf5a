// CSV injection: a spreadsheet may split a line on its locale's separator (`;` in much of Europe, also
// tab or `|`) and on line breaks, ignoring our quotes, so a formula may start any fragment, not only the
// cell. Such a start (after spaces or quotes a spreadsheet may strip) gets a single quote before it.
// The triggers: = + - @ tab CR, and the full-width and small forms an East Asian spreadsheet reads alike.
const FORMULA_START = /(^|[,;\t|\r\n])(?=[\s"]*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B])/g;

/** One RFC 4180 cell, always quoted (quotes doubled), with every formula start neutralised. */
export function csvCell(value: string | null): string {
  if (value === null) return '""';
  const guarded = value.replace(FORMULA_START, "$1'");
  return `"${guarded.replaceAll('"', '""')}"`;
}

/** Rows of cells as CSV text, lines ended with CRLF. */
export function toCsv(rows: readonly (readonly (string | null)[])[]): string {
  return rows.map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}
