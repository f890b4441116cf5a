import { ErrorResponse, jsonResponse } from "./schemas.js";

/** Step-up: the 403 of a sensitive team action also means STEP_UP_REQUIRED (see POST /api/me/step-up). */
export const stepUpResponses = {
  403: jsonResponse(
    ErrorResponse,
    "FORBIDDEN, or STEP_UP_REQUIRED: the acting user has 2FA and entered no code in this session in the last 10 minutes (POST /api/me/step-up, then retry)",
  ),
} as const;

/** The same for an action on a member that nobody takes on itself (status, roles, SSO flag, deletion). */
export const memberChangeResponses = {
  403: jsonResponse(
    ErrorResponse,
    "FORBIDDEN; CANNOT_CHANGE_OWN_MEMBERSHIP: a member cannot disable or delete itself, nor change its own roles or SSO flag; or STEP_UP_REQUIRED: the acting user has 2FA and entered no code in this session in the last 10 minutes (POST /api/me/step-up, then retry)",
  ),
} as const;
