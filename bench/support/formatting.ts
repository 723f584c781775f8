/** The value at `fraction` (0..1) of the sorted values (nearest rank), or NaN for none. */
export function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/** Bytes as MiB, whole. */
export function mebibytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${Math.round(bytes / 1024 / 1024)}` : '-';
}

/** A number with `digits` decimals, or `-` when it is not one. */
export function decimal(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** `value / floor` as `2.15x`, or `-`. */
export function ratio(value: number, floor: number): string {
  return Number.isFinite(value) && Number.isFinite(floor) && floor > 0 ? `${(value / floor).toFixed(2)}x` : '-';
}

/** A plain-text table: columns padded, numbers right-aligned, a rule under the header. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = /^[-+]?[\d.,]+(x|%| ms| MiB)?$|^-$/;
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (numeric.test(cell) && column > 0 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
