import { AuditPage } from "@cloud2fa/ui";
import { auditClient } from "../api.js";

export function AuditRoute() {
  return <AuditPage client={auditClient} />;
}
