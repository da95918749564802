/**
 * The one way every benchmark prints its result: a table for people, then, as the very last
 * line, one JSON object of figures for machines (`npm run bench -- api | tail -n 1`).
 *
 * @example
 * ```ts
 * printReport({
 *   title: 'store-memory: create',
 *   rows: [
 *     { name: 'creates', value: 10_000, unit: 'ops' },
 *     { name: 'throughput', value: 48_210.4, unit: 'ops/s' },
 *     { name: 'p99 latency', value: 0.061, unit: 'ms', note: 'per create' },
 *   ],
 *   json: { creates: 10_000, opsPerSecond: 48_210.4, p99Ms: 0.061 },
 * });
 * ```
 */

/** One line of the table. */
export type ReportRow = {
  /** What was measured, e.g. `"p99 latency"`. */
  name: string;
  /** The figure; numbers are rounded for the table only, never in the JSON line. */
  value: number | string;
  /** e.g. `"ops/s"`, `"ms"`, `"pods"`. */
  unit: string;
  /** Anything a reader needs to interpret the figure. */
  note?: string;
};

export type Report = {
  /** Heading above the table, e.g. `"scheduler: 5000 nodes, 10000 pods"`. */
  title: string;
  rows: readonly ReportRow[];
  /** The figures to print as the last line, as one JSON object (printed as given). */
  json: Record<string, unknown>;
};

/** Options for {@link printReport}; by default it writes to `process.stdout`. */
export type PrintOptions = {
  /** Where lines go. @default line => process.stdout.write(line + '\n') */
  write?: (line: string) => void;
};

/**
 * Formats a number for the table: integers with thousands separators, others with three
 * significant digits after the point at most (`0.0613`, `12.3`, `48,210`).
 */
export function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Renders the table as lines: name left-aligned, value right-aligned, unit, then note. */
export function formatTable(rows: readonly ReportRow[]): string[] {
  const cells = rows.map((row) => ({
    name: row.name,
    value: formatValue(row.value),
    unit: row.unit,
    note: row.note ?? '',
  }));
  const header = { name: 'metric', value: 'value', unit: 'unit', note: 'note' };
  const all = [header, ...cells];
  const width = (key: keyof typeof header): number => Math.max(...all.map((c) => c[key].length));
  const w = { name: width('name'), value: width('value'), unit: width('unit') };
  const hasNotes = cells.some((c) => c.note !== '');
  const line = (c: typeof header): string =>
    [c.name.padEnd(w.name), c.value.padStart(w.value), hasNotes ? c.unit.padEnd(w.unit) : c.unit, ...(hasNotes ? [c.note] : [])]
      .join('  ')
      .trimEnd();
  const rule = [w.name, w.value, w.unit, ...(hasNotes ? [width('note')] : [])].map((n) => '-'.repeat(n)).join('  ');
  return [line(header), rule, ...cells.map(line)];
}

/** Prints the title, the aligned table and, last, one line of JSON (`report.json`). */
export function printReport(report: Report, options: PrintOptions = {}): void {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  write(report.title);
  write('');
  for (const line of formatTable(report.rows)) write(line);
  write('');
  write(JSON.stringify(report.json));
}

/**
 * The `p`-th percentile (0–100) of `samples`, nearest-rank; `NaN` for no samples. Sorts a copy.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}
