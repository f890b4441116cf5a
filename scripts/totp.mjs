#!/usr/bin/env node
// Prints the current authenticator code of a TOTP secret: a stand-in for an authenticator app when
// trying the product with curl. Usage: pnpm --silent totp <base32-secret>
import { generateTotpCode } from "../packages/domain/dist/index.js";

const secret = process.argv[2];
if (!secret || !/^[A-Z2-7]+=*$/i.test(secret)) {
  process.stderr.write("usage: pnpm --silent totp <base32-secret>\n");
  process.exit(2);
}
process.stdout.write(`${generateTotpCode({ secret, at: new Date() })}\n`);
