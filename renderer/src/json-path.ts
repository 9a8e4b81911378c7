// JSON paths as the admin API writes them in `problems` (src/config/load.ts formatPath):
// `mcpServers.github.args[0]`, `mcpServers["my-server"].env`. The UI builds the same strings to
// find the problems that belong next to a field.

export function jsonPath(...parts: (string | number)[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += (out ? '.' : '') + part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
