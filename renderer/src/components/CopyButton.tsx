// A Copy button: puts `value` on the clipboard and says "Copied" (visibly, and to screen readers).
import { useEffect, useState } from 'react';

export function CopyButton({ value, label, className = '' }: { value: string; label: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 2000);
    return () => window.clearTimeout(t);
  }, [state]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState(copyBySelection(value) ? 'copied' : 'failed');
    }
  };

  return (
    <button type="button" className={`btn btn-small copy ${state === 'copied' ? 'is-copied' : ''} ${className}`} onClick={copy} aria-label={`${state === 'copied' ? 'Copied' : 'Copy'} ${label}`} data-copied={state === 'copied' ? value : undefined}>
      <span aria-hidden="true">{state === 'copied' ? '✓ Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}</span>
      <span className="visually-hidden" role="status">{state === 'copied' ? `Copied ${label}` : state === 'failed' ? 'Could not copy: select the text and copy it yourself' : ''}</span>
    </button>
  );
}

/** Where the Clipboard API is refused: the old way, through a selected text area. */
function copyBySelection(value: string): boolean {
  const area = document.createElement('textarea');
  area.value = value;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/** A URL (or any value) in monospace with its Copy button; `name` says what it is to screen readers. */
export function CopyField({ label, value, name = label, stacked = false }: { label: string; value: string; name?: string; stacked?: boolean }) {
  return (
    <div className={`copy-field ${stacked ? 'is-stacked' : ''}`}>
      <span className="copy-field-label">{label}</span>
      <code className="copy-field-value" title={value}>{value}</code>
      <CopyButton value={value} label={name} />
    </div>
  );
}
