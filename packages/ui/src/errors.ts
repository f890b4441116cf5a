import {
  describeError,
  type ErrorCode,
  errorCodes,
  type WeakPasswordReason,
  weakPasswordReasons,
} from "@cloud2fa/domain";

/** A refusal from the API, carrying the catalog code (SPEC §4) and Retry-After when throttled. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfterSeconds: number | null = null,
    /** §6.3 WEAK_PASSWORD: which body field, and why (a key of the domain's weakPasswordReasons). */
    readonly field: string | null = null,
    readonly reason: string | null = null,
  ) {
    super(message);
  }
}

function isWeakPasswordReason(reason: string | null): reason is WeakPasswordReason {
  return reason !== null && Object.hasOwn(weakPasswordReasons, reason);
}

/** §6.3: the sentence for a new password the API refused in `field`, shown next to that field; else null. */
export function fieldErrorFor(error: unknown, field: string): string | null {
  if (!(error instanceof ApiError) || error.code !== "WEAK_PASSWORD" || error.field !== field) return null;
  return isWeakPasswordReason(error.reason)
    ? weakPasswordReasons[error.reason]
    : describeError("WEAK_PASSWORD");
}

export function isErrorCode(code: string): code is ErrorCode {
  return (errorCodes as string[]).includes(code);
}

/** One sentence for a person, from the domain's catalog; unknown failures get a generic one. */
export function sentenceFor(error: unknown): string {
  if (error instanceof ApiError) {
    const fieldSentence = error.field === null ? null : fieldErrorFor(error, error.field);
    if (fieldSentence) return fieldSentence;
    const sentence = isErrorCode(error.code) ? describeError(error.code) : error.message;
    return error.retryAfterSeconds
      ? `${sentence} Try again in ${error.retryAfterSeconds} seconds.`
      : sentence;
  }
  return "The service could not be reached. Check your connection and try again.";
}

type JsonResponse = { ok: boolean; status: number; headers: Headers; json(): Promise<unknown> };
type SuccessStatus = 200 | 201 | 202 | 204;
type BodyOf<R> = R extends { status: infer S; json(): Promise<infer B> }
  ? S extends SuccessStatus
    ? B
    : never
  : never;

/** The success body of a typed client call, or an ApiError with the API's code. */
export async function expectOk<R extends JsonResponse>(pending: Promise<R>): Promise<BodyOf<R>> {
  const response = await pending;
  if (response.ok) {
    return (response.status === 204 ? undefined : await response.json()) as BodyOf<R>;
  }
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string; field?: string; reason?: string };
  } | null;
  const retryAfter = Number(response.headers.get("Retry-After"));
  throw new ApiError(
    body?.error?.code ?? "INTERNAL_ERROR",
    body?.error?.message ?? `HTTP ${response.status}`,
    response.status,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    typeof body?.error?.field === "string" ? body.error.field : null,
    typeof body?.error?.reason === "string" ? body.error.reason : null,
  );
}
