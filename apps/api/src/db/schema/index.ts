export * from "./audit.js";
export * from "./mail.js";
export * from "./services.js";
export * from "./sso.js";
export * from "./two-factor.js";
export * from "./users.js";
