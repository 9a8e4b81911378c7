// How the public URL is made, chosen in the window (issue 12 #3): localtunnel (no account),
// Cloudflare (a quick tunnel, or a named one with its token), ngrok (authtoken, static domain),
// or the owner's own URL. Tokens are never shown, only whether one is stored; Save opens the
// tunnel again the new way while published.
import { useEffect, useState } from 'react';
import type { ProblemView, PublishSettingsInput, PublishSettingsView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure, useLoad } from '../use-load.ts';
import { Field } from '../components/Field.tsx';
import { ProblemSummary } from '../components/Problems.tsx';
import { SecretField } from '../access/SecretField.tsx';
import { useUnsaved } from '../unsaved.ts';

type Choice = 'localtunnel' | 'cloudflared-quick' | 'cloudflared-named' | 'ngrok' | 'none';

const CHOICES: { value: Choice; title: string; about: string }[] = [
  { value: 'localtunnel', title: 'localtunnel', about: 'No account. The address stays while nobody else takes it; browsers are asked for a tunnel password once.' },
  { value: 'cloudflared-quick', title: 'Cloudflare quick tunnel', about: 'No account, needs cloudflared installed. A new random address at each start: for trying things out.' },
  { value: 'cloudflared-named', title: 'Cloudflare named tunnel', about: 'Your Cloudflare account and domain: a stable address, the best choice for daily use.' },
  { value: 'ngrok', title: 'ngrok', about: 'A free ngrok account: one stable domain; browsers see a warning page once.' },
  { value: 'none', title: 'My own URL', about: 'Your own reverse proxy forwards a public HTTPS address to this computer.' },
];

interface Draft { choice: Choice; host: string; hostname: string; cloudflaredToken: string; ngrokAuthtoken: string; ngrokDomain: string; publicUrl: string; subdomain: string }

function draftOf(v: PublishSettingsView): Draft {
  const choice: Choice = v.tunnel === 'cloudflared' ? (v.hostname ? 'cloudflared-named' : 'cloudflared-quick') : v.tunnel;
  return { choice, host: v.host ?? '', hostname: v.hostname ?? '', cloudflaredToken: '', ngrokAuthtoken: '', ngrokDomain: v.ngrokDomain ?? '', publicUrl: v.publicUrl ?? '', subdomain: v.subdomain };
}

function inputOf(d: Draft): PublishSettingsInput {
  return {
    tunnel: d.choice.startsWith('cloudflared') ? 'cloudflared' : (d.choice as PublishSettingsInput['tunnel']),
    subdomain: d.subdomain,
    publicUrl: d.choice === 'none' ? d.publicUrl : null,
    ...(d.choice === 'localtunnel' && d.host.trim() ? { host: d.host } : {}),
    ...(d.choice === 'cloudflared-named' ? { hostname: d.hostname, ...(d.cloudflaredToken ? { cloudflaredToken: d.cloudflaredToken } : {}) } : {}),
    ...(d.choice === 'ngrok' ? { ...(d.ngrokDomain.trim() ? { ngrokDomain: d.ngrokDomain } : {}), ...(d.ngrokAuthtoken ? { ngrokAuthtoken: d.ngrokAuthtoken } : {}) } : {}),
  };
}

export function TunnelSettings({ onClose }: { onClose(): void }) {
  const { client } = useApp();
  const settings = useLoad(() => client.publishSettings(), [client]);
  const [d, setD] = useState<Draft>();
  const [problems, setProblems] = useState<ProblemView[]>([]);
  const [error, setError] = useState<ApiFailure>();
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (settings.data && !d) setD(draftOf(settings.data)); }, [settings.data, d]);
  useUnsaved('the tunnel settings', Boolean(d && settings.data && JSON.stringify(d) !== JSON.stringify(draftOf(settings.data))));
  if (!d || !settings.data) return <p className="muted">Loading…</p>;
  const saved = settings.data;
  const set = (patch: Partial<Draft>) => { setD({ ...d, ...patch }); setProblems([]); };

  const save = async () => {
    setBusy(true); setError(undefined); setProblems([]);
    try {
      const next = await client.savePublishSettings(inputOf(d));
      settings.set(next);
      setD(draftOf(next));
      onClose();
    } catch (e) {
      const f = asFailure(e);
      setError(f);
      setProblems(f.problems);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form noValidate className="tunnel-settings stack-tight" aria-label="Tunnel settings" onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <ProblemSummary problems={problems} error={error} />
      <fieldset className="radio-group tunnel-choices">
        <legend>How the public address is made</legend>
        {CHOICES.map((c) => (
          <label className="check" key={c.value}>
            <input type="radio" name="tunnel" checked={d.choice === c.value} onChange={() => set({ choice: c.value })} />
            <span><strong>{c.title}</strong><span className="muted block">{c.about}</span></span>
          </label>
        ))}
      </fieldset>
      {d.choice === 'localtunnel' && (
        <Field label="localtunnel server (optional)" hint="Leave empty for the public service, localtunnel.me; or the address of your own localtunnel server." path="publish.host" problems={problems}>
          {(p) => <input {...p} type="url" value={d.host} onChange={(e) => set({ host: e.target.value })} placeholder="https://localtunnel.me" spellCheck={false} />}
        </Field>
      )}
      {d.choice === 'cloudflared-named' && (
        <div className="grid-2">
          <Field label="Public hostname" hint="The hostname routed to this tunnel in Cloudflare, e.g. https://mcp.example.com." path="publish.hostname" problems={problems}>
            {(p) => <input {...p} type="url" value={d.hostname} onChange={(e) => set({ hostname: e.target.value })} placeholder="https://mcp.example.com" spellCheck={false} />}
          </Field>
          <SecretField label="Tunnel token" value={d.cloudflaredToken} stored={saved.cloudflaredToken} onChange={(v) => set({ cloudflaredToken: v })} problems={problems} path="publish.cloudflaredToken" />
        </div>
      )}
      {d.choice === 'ngrok' && (
        <div className="grid-2">
          <SecretField label="Authtoken" value={d.ngrokAuthtoken} stored={saved.ngrokAuthtoken} onChange={(v) => set({ ngrokAuthtoken: v })} problems={problems} path="publish.ngrokAuthtoken" />
          <Field label="Static domain (optional)" hint="Your free static domain from the ngrok dashboard, e.g. my-name.ngrok-free.app: a stable address." path="publish.ngrokDomain" problems={problems}>
            {(p) => <input {...p} value={d.ngrokDomain} onChange={(e) => set({ ngrokDomain: e.target.value })} spellCheck={false} />}
          </Field>
        </div>
      )}
      {d.choice === 'none' && (
        <Field label="Your public URL" hint="The HTTPS origin your reverse proxy forwards to this computer's gateway port, without a path." path="publish.publicUrl" problems={problems}>
          {(p) => <input {...p} type="url" value={d.publicUrl} onChange={(e) => set({ publicUrl: e.target.value })} placeholder="https://mcp.example.com" spellCheck={false} />}
        </Field>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : 'Save tunnel settings'}</button>
        <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
      </div>
    </form>
  );
}
