// Builds the redirect login providers the configuration asks for (DESIGN §3 `access.login`),
// with their client secrets read from the SecretStore. Called by the composition root.
import type { AccessConfig } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { LoginError } from './login-error.ts';
import type { LoginProvider } from './login-provider.ts';

export interface LoginSetupDeps {
  secrets: SecretStore;
  logger?: Logger;
}

/**
 * The configured redirect logins, OIDC first. Rejects with `LoginError` `misconfigured` when a
 * referenced client secret is not in the SecretStore (the message names the key, never a value).
 * GitHub reads orgs and teams only when the allow list names some.
 */
export async function createLoginProviders(access: AccessConfig, deps: LoginSetupDeps): Promise<LoginProvider[]> {
  const providers: LoginProvider[] = [];
  const { oidc, github } = access.login;
  // Loaded only when configured (openid-client is not small).
  if (oidc) {
    const { OidcLogin } = await import('./oidc-login.ts');
    const clientSecret = oidc.clientSecret ? await secret(deps.secrets, 'oidc', oidc.clientSecret.keychain) : undefined;
    providers.push(new OidcLogin({
      issuer: oidc.issuer, clientId: oidc.clientId, identityClaim: oidc.identityClaim, groupsClaim: oidc.groupsClaim,
      scopes: oidc.scopes, trustEmails: oidc.trustEmails,
      ...(clientSecret !== undefined ? { clientSecret } : {}),
      ...(oidc.label !== undefined ? { label: oidc.label } : {}),
      ...(deps.logger ? { logger: deps.logger.child({ component: 'oidc-login' }) } : {}),
    }));
  }
  if (github) {
    const { GithubLogin } = await import('./github-login.ts');
    providers.push(new GithubLogin({
      clientId: github.clientId, clientSecret: await secret(deps.secrets, 'github', github.clientSecret.keychain),
      baseUrl: github.baseUrl, apiUrl: github.apiUrl,
      readOrgs: access.allow.githubOrgs.length > 0 || access.allow.githubTeams.length > 0,
      ...(github.label !== undefined ? { label: github.label } : {}),
      ...(deps.logger ? { logger: deps.logger.child({ component: 'github-login' }) } : {}),
    }));
  }
  return providers;
}

async function secret(secrets: SecretStore, provider: 'oidc' | 'github', key: string): Promise<string> {
  const value = await secrets.get(key);
  if (value === undefined || value === '') {
    throw new LoginError(provider, 'misconfigured', `the ${provider === 'oidc' ? 'OIDC' : 'GitHub'} client secret is not in the secret store (key "${key}"); add it in the settings window`);
  }
  return value;
}
