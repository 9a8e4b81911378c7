// The Activity log as CSV (RFC 4180: fields quoted when they hold a comma, quote or line break;
// CRLF rows), safe to open in a spreadsheet: a cell that starts with = + - @ (or a tab or
// carriage return) would be read as a formula (OWASP "CSV injection"), so it gets a leading '.
import type { ActivityEntry } from './activity-log.ts';

export const CSV_HEADER = ['id', 'time', 'kind', 'person', 'client', 'server', 'tool', 'method', 'duration_ms', 'result', 'error', 'action', 'target', 'detail'];

/** One cell: neutralized if a spreadsheet would run it, quoted if it needs to be. */
export function csvCell(value: string | number | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRow = (cells: (string | number | undefined)[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** An entry's row, in the order of CSV_HEADER. */
export function csvEntry(e: ActivityEntry): string {
  const time = new Date(e.at).toISOString();
  if (e.kind === 'owner') return csvRow([e.id, time, 'owner', '', '', e.server, '', '', '', '', '', e.action, e.target, e.detail]);
  return csvRow([e.id, time, 'call', e.userEmail ?? e.user, e.client, e.server, e.name ?? '', e.method, Math.round(e.ms), e.ok ? 'ok' : 'error', e.error, '', '', '']);
}
