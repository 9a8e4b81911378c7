// Publish: one switch that opens (or closes) the public URL; what the tunnel is doing; each
// server's public MCP URL to paste into Claude; localtunnel's password; and a plain warning when
// the public URL changed (every client must be added again).
import { useEffect, useRef, useState } from 'react';
import type { StatusView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { publishState } from '../publish-state.ts';
import { Dot } from '../components/Badge.tsx';
import { CopyField } from '../components/CopyButton.tsx';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { TunnelSettings } from '../publish/TunnelSettings.tsx';

export function PublishPage() {
  const { client, status } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure>();
  const [changing, setChanging] = useState(false);

  const toggle = async () => {
    if (!status) return;
    setBusy(true); setError(undefined);
    try {
      await (status.published ? client.unpublish() : client.publish());
    } catch (e) {
      setError(asFailure(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Publish</h1>
          <p className="lead">Give your servers a public HTTPS address, so Claude and the people you allow can reach them.</p>
        </div>
      </header>
      {!status ? <p className="muted">Loading…</p> : (
        <>
          <section className="card publish-card" aria-labelledby="publish-title">
            <div className="publish-row">
              <div>
                <h2 id="publish-title">Publish my servers</h2>
                <TunnelLine status={status} />
              </div>
              <button
                type="button" role="switch" aria-checked={status.published} aria-labelledby="publish-title"
                className={`switch ${status.published ? 'is-on' : ''}`} onClick={toggle} disabled={busy || status.state !== 'running'}
              >
                <span className="switch-knob" aria-hidden="true" />
                <span className="switch-text" aria-hidden="true">{status.published ? 'On' : 'Off'}</span>
              </button>
            </div>
            {status.state !== 'running' && <p className="muted">The gateway is stopped, so nothing can be published.</p>}
            {/* A failure to publish is in the status too (tunnelProblem): said once, below. */}
            {error?.code !== 'publish_failed' && <ErrorBanner error={error} />}
            {status.tunnelProblem && (
              <div className="banner banner-error" role="alert">
                <strong>{status.tunnelProblem.title}</strong>
                <p>{status.tunnelProblem.next}</p>
                <details><summary className="small">What the tunnel said</summary><code className="small">{status.tunnelProblem.detail}</code></details>
              </div>
            )}
            <div className="tunnel-choice">
              <span>Tunnel: <strong>{status.tunnelName}</strong></span>
              {!changing && <button type="button" className="btn btn-small" onClick={() => setChanging(true)} aria-expanded={false}>Change tunnel</button>}
            </div>
            {changing && <TunnelSettings onClose={() => setChanging(false)} />}
          </section>

          {status.issuerChanged && (
            <div className="banner banner-warn" role="alert">
              <strong>Your public URL changed</strong>
              <p>
                It was <code>{status.issuerChanged.from}</code> and is now <code>{status.issuerChanged.to}</code>. Clients signed in
                against the old address: remove each server from Claude (and every other client) and add it again with the new URL.
              </p>
              <p>A stable URL avoids this: a Cloudflare named tunnel, an ngrok domain, or your own domain keep the same address across restarts.</p>
            </div>
          )}

          {status.tunnel.state === 'online' && (status.tunnel.password || status.tunnel.browserNotice) && (
            <section className="card" aria-labelledby="password-title">
              <h2 id="password-title">Tunnel password</h2>
              {status.tunnel.browserNotice && <p>{status.tunnel.browserNotice}.</p>}
              {status.tunnel.password && <CopyField label="Tunnel password" value={status.tunnel.password} />}
            </section>
          )}

          <section className="card" aria-labelledby="urls-title">
            <h2 id="urls-title">Public MCP URLs</h2>
            {status.publicUrl ? (
              <>
                <div className="stack-tight">
                  {status.servers.filter((s) => s.publicUrl).map((s) => <CopyField key={s.name} label={s.title ?? s.name} name={`Public MCP URL of ${s.name}`} value={s.publicUrl!} />)}
                </div>
                {status.servers.every((s) => !s.publicUrl) && <p className="muted">No server is enabled.</p>}
                <div className="hint-box">
                  <p><strong>Add one to Claude:</strong> Settings → Connectors → <em>Add custom connector</em>, paste the server's URL, then sign in when asked.</p>
                  <p className="small">ChatGPT, VS Code, Cursor and <code>mcp-remote</code> take the same URL; each one signs in the first time it connects.</p>
                </div>
              </>
            ) : (
              <Empty title={status.published ? 'Waiting for the tunnel…' : 'Not published'}>
                {status.published ? 'The URLs appear here as soon as the tunnel is online.' : 'Turn on Publish to get a public URL for each server. Until then they work only on this computer.'}
              </Empty>
            )}
          </section>
        </>
      )}
    </div>
  );
}

function TunnelLine({ status }: { status: StatusView }) {
  const { tone, words } = publishState(status);
  const t = status.tunnel;
  // A reconnect's countdown runs from when this attempt was first seen.
  const seen = useRef<{ attempt: number; at: number } | undefined>(undefined);
  const [, tick] = useState(0);
  if (t.state === 'reconnecting' && seen.current?.attempt !== t.attempt) seen.current = { attempt: t.attempt, at: Date.now() };
  const retryAt = t.state === 'reconnecting' ? seen.current!.at + t.retryInMs : 0;
  useTicking(t.state === 'reconnecting', () => tick((n) => n + 1));
  let detail = '';
  if (status.published) {
    if (t.state === 'online') detail = t.url;
    else if (t.state === 'connecting') detail = 'opening the public URL…';
    else if (t.state === 'reconnecting') {
      const wait = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      detail = `${wait > 0 ? `trying again in ${wait} s` : 'trying again now'} (attempt ${t.attempt})`;
    } else detail = status.tunnelProblem ? 'see below' : t.reason;
  } else {
    detail = status.tunnelProblem ? 'the last attempt failed: see below' : 'your servers answer only on this computer';
  }
  return (
    <p className="tunnel-line" role="status" aria-live="polite">
      <Dot tone={tone} /> <strong>{words}</strong> <span className="muted">· {detail}</span>
    </p>
  );
}

/** Re-renders every second while `on`. */
function useTicking(on: boolean, tick: () => void): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!on) return;
    const t = window.setInterval(() => latest.current(), 1000);
    return () => window.clearInterval(t);
  }, [on]);
}
