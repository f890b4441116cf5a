import {
  canHaveRecoveryCodes,
  createRecoveryCodes,
  hashRecoveryCode,
  RECOVERY_CODE_RANDOM_BYTES,
} from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { recoveryCodeHashKey } from "../../crypto/secret-box.js";
import { createId } from "../../crypto/tokens.js";
import type { Queryable, Tx } from "../../db/connect.js";
import { accounts, recoveryCodes } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import type { UserRow } from "../users.js";

/** Whether this user gets recovery codes: the domain rule over the team's setting. */
export async function isRecoveryCodeHolder(q: Queryable, user: UserRow): Promise<boolean> {
  const [team] = await q
    .select({ allowMemberRecoveryCodes: accounts.allowMemberRecoveryCodes })
    .from(accounts)
    .where(eq(accounts.id, user.accountId));
  return canHaveRecoveryCodes(user, team ?? { allowMemberRecoveryCodes: false });
}

/** A new set of ten codes, stored hashed; the old set is dead. Returns the codes, shown once. */
export async function issueRecoveryCodes(
  tx: Tx,
  deps: Pick<Deps, "keys" | "random">,
  input: { userId: string; now: Date },
): Promise<string[]> {
  const hashKey = recoveryCodeHashKey(deps.keys);
  if (!hashKey) throw new Error("no encryption key");
  const codes = createRecoveryCodes(deps.random.bytes(RECOVERY_CODE_RANDOM_BYTES));
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, input.userId));
  await tx.insert(recoveryCodes).values(
    codes.map((code) => ({
      id: createId(deps.random, "rcv"),
      userId: input.userId,
      keyId: hashKey.id,
      codeHash: hashRecoveryCode(hashKey.key, { userId: input.userId, code }),
      createdAt: input.now,
    })),
  );
  return codes;
}

/** The code's hash under every key of the ring, so codes hashed before a rotation still match. */
export function recoveryCodeHashes(
  deps: Pick<Deps, "keys">,
  input: { userId: string; code: string },
): string[] {
  return deps.keys.keys.flatMap((entry) => {
    const hashKey = recoveryCodeHashKey(deps.keys, entry.id);
    return hashKey ? [hashRecoveryCode(hashKey.key, input)] : [];
  });
}
