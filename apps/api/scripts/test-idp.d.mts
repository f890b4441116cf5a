export interface TestIdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface TestIdpAccount {
  sub: string;
  email: string;
  emailVerified: boolean | undefined;
  name: string;
}

export interface TestIdp {
  issuer: string;
  addAccount(input: {
    email: string;
    emailVerified?: boolean | undefined;
    sub?: string;
    name?: string;
  }): TestIdpAccount;
  close(): Promise<void>;
}

export function startTestIdp(options: {
  port?: number;
  host?: string;
  clients: TestIdpClient[];
  autoCreateAccounts?: boolean;
}): Promise<TestIdp>;
