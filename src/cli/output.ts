// stdout is for results (a script may read it); messages about the run go to stderr.
export type Format = 'text' | 'json'

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`)
}

/** Rows as aligned columns, the last one left ragged. */
export function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)))
  for (const row of all) printLine(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
}
