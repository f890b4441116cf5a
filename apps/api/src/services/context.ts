import type { Deps } from "../deps.js";

/** Who is asking and from where: the S8 audit fields every mutating service records. */
export interface RequestMeta {
  clientAddress: string | null;
  userAgent: string | null;
}

export interface ServiceCall<Input> {
  deps: Deps;
  input: Input;
  meta: RequestMeta;
}
