// Finding a server's program the way a shell would, but without a shell: PATH search (and
// PATHEXT on Windows), so `doctor` can say "not found" and spawn never goes through `sh -c`.
import fs from 'node:fs';
import path from 'node:path';

/** The absolute path of `command`, or undefined when it cannot be found or run. */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), platform = process.platform): string | undefined {
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').map((e) => e.toLowerCase())] : [''];
  const candidates = command.includes('/') || (platform === 'win32' && command.includes('\\'))
    ? [path.resolve(cwd, command)]
    : (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command));
  for (const base of candidates) {
    for (const ext of exts) {
      const file = base + ext;
      try {
        const st = fs.statSync(file);
        if (!st.isFile()) continue;
        if (platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch { /* try the next one */ }
    }
  }
  return undefined;
}

/** Environment names a child inherits from ours (DESIGN §5): enough to run, nothing else. */
const INHERITED = [
  'PATH', 'Path', 'PATHEXT', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TZ',
  'TMPDIR', 'TMP', 'TEMP', 'SYSTEMROOT', 'SystemRoot', 'WINDIR', 'COMSPEC', 'APPDATA', 'LOCALAPPDATA',
  'USERPROFILE', 'HOMEDRIVE', 'HOMEPATH', 'PROGRAMFILES', 'ProgramFiles', 'ProgramData', 'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE',
  'npm_config_cache',
];

/** The minimal environment of a child: inherited basics, then the server's env, then the user's. */
export function childEnvironment(parent: NodeJS.ProcessEnv, serverEnv: Record<string, string>, userEnv: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const v = parent[name];
    if (v !== undefined) env[name] = v;
  }
  for (const [k, v] of Object.entries(parent)) if (k.startsWith('LC_') && v !== undefined) env[k] = v;
  return Object.assign(env, serverEnv, userEnv);
}
