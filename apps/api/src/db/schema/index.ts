export * from "./audit.js";
export * from "./mail.js";
export * from "./two-factor.js";
export * from "./users.js";
export * from "./sso.js";
