import { isCodeEntryLocked } from "@cloud2fa/domain";
import type { Tx } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { RequestMeta } from "../context.js";
import { chargeUserCodeAttempt, resetUserCodeAttempts } from "../limits/code-attempts.js";
import { enqueueMail } from "../mail.js";
import type { UserRow } from "../users.js";
import { type CodeMatch, type CodeSource, matchCode } from "./codes.js";
import { chargeUserFactorStreak, settleUserFactorStreak } from "./factor-streak.js";
import { codeEntryLockedNotices, factorLockedNotices, recipientsOf } from "./notify-security.js";
import { isSealedUnderConfiguredKey, refuseMissingKey, resealFactorIfStale } from "./sealed-secrets.js";

class SettleRefused extends Error {}

/**
 * The one path every code check takes (sign-in, setup confirmation, removal), S3 first:
 * 1. charge the attempt (and whatever `charge` adds, e.g. the challenge) and commit;
 * 2. match the code; 3. in one transaction, `settle` consumes the match (S2) and acts, or nothing happens.
 * A refusal at any step is audited and answered INVALID_CODE, whichever the reason (S1).
 */
export async function attemptCode<T>(
  deps: Deps,
  input: {
    subject: UserRow;
    actor?: UserRow;
    code: string;
    meta: RequestMeta;
    purpose: "sign_in" | "setup" | "removal" | "recovery_codes" | "step_up";
    source: (tx: Tx) => Promise<CodeSource>;
    charge?: (tx: Tx) => Promise<void>;
    settle: (tx: Tx, match: CodeMatch) => Promise<T | null>;
  },
): Promise<T> {
  const now = deps.clock.now();
  const { subject } = input;
  const audit = {
    accountId: subject.accountId,
    actor: partyOf(input.actor ?? subject),
    subject: partyOf(subject),
    meta: input.meta,
  };
  const { budget, source, streak } = await deps.db.transaction(async (tx) => {
    // Hard cap: a locked factor checks no code and is charged nothing (the throw rolls back).
    const streak = await chargeUserFactorStreak(tx, subject.id, now);
    await input.charge?.(tx);
    const charged = await chargeUserCodeAttempt(tx, subject.id, now);
    const source = await input.source(tx);
    // S4 rotation: a secret whose key is gone checks no code; the throw rolls the charges back (hard cap).
    if (source.kind === "totp" && !isSealedUnderConfiguredKey(deps.keys, source.sealedSecret)) {
      refuseMissingKey(deps, { userId: subject.id, sealed: source.sealedSecret });
    }
    return { budget: charged, source, streak };
  });
  const match = await matchCode(deps.db, deps, { userId: subject.id, code: input.code, now, source });
  if (match) {
    try {
      return await deps.db.transaction(async (tx) => {
        await settleUserFactorStreak(tx, subject.id, streak);
        const result = await input.settle(tx, match);
        if (result === null) throw new SettleRefused();
        if (source.kind === "totp") {
          await resealFactorIfStale(tx, deps, { userId: subject.id, sealed: source.sealedSecret });
        }
        await resetUserCodeAttempts(tx, subject.id);
        await recordAuditEvent(tx, deps, {
          ...audit,
          type: "two_factor.code_accepted",
          detail: { purpose: input.purpose, method: match.kind },
        });
        return result;
      });
    } catch (error) {
      if (!(error instanceof SettleRefused)) throw error;
    }
  }
  const lockedUntil = isCodeEntryLocked(budget, now) ? budget.lockedUntil : null;
  await deps.db.transaction(async (tx) => {
    await recordAuditEvent(tx, deps, {
      ...audit,
      type: "two_factor.code_rejected",
      detail: { purpose: input.purpose, method: source.kind },
    });
    if (lockedUntil) {
      await recordAuditEvent(tx, deps, {
        ...audit,
        type: "two_factor.locked",
        detail: { lockedUntil: lockedUntil.toISOString() },
      });
    }
    if (streak?.isLockingCharge) {
      await recordAuditEvent(tx, deps, {
        ...audit,
        type: "two_factor.factor_locked",
        detail: { failedCodes: streak.failedCodeStreak },
      });
    }
    if (!lockedUntil && !streak?.isLockingCharge) return;
    const recipients = await recipientsOf(tx, subject);
    const facts = { at: now, meta: input.meta };
    await enqueueMail(
      tx,
      deps,
      ...(lockedUntil ? codeEntryLockedNotices(recipients, { ...facts, lockedUntil }) : []),
      ...(streak?.isLockingCharge
        ? factorLockedNotices(recipients, { ...facts, subjectKind: subject.kind })
        : []),
    );
  });
  if (streak?.isLockingCharge) throw new AppError("TWO_FACTOR_LOCKED");
  throw new AppError("INVALID_CODE");
}
