// Small labels for states: green is good, amber waits, red is refused or broken, grey is off.
import type { ReactNode } from 'react';

export type Tone = 'green' | 'amber' | 'red' | 'grey' | 'blue';

export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return <span className={`badge badge-${tone}`} title={title}>{children}</span>;
}

/** A coloured dot before a state's words (the words carry the meaning; the dot only helps). */
export function Dot({ tone }: { tone: Tone }) {
  return <span className={`dot dot-${tone}`} aria-hidden="true" />;
}
