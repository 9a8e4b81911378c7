// oidc-provider prints "Unsupported runtime" at import time on Node 20 (it wants 22); everything
// we use works on 20. Imported before oidc-provider, this drops that one line and nothing else.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime.')) return;
  warn.apply(console, args as []);
};
export {};
