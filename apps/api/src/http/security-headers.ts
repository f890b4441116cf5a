import { secureHeaders } from "hono/secure-headers";

/**
 * Every answer, pages and API alike, errors and 404s included: a CSP with no inline script or style
 * (the built apps and the docs page load theirs from files), no framing, no referrer (tokens travel in
 * page URLs), no MIME sniffing. The QR code of a TOTP setup is a data: SVG image.
 */
export function securityHeaders(publicUrl: string) {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: "no-referrer",
    xContentTypeOptions: "nosniff",
    xFrameOptions: "DENY",
    // HSTS only where the product is served over HTTPS; a browser ignores it over plain HTTP anyway.
    strictTransportSecurity: new URL(publicUrl).protocol === "https:" ? "max-age=31536000" : false,
  });
}
