// oidc-provider ships no type declarations; we use it through a few calls documented at its use.
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
  export const errors: any;
  export const interactionPolicy: any;
}
