// The one typed client of the API lives in packages/ui (both apps use the same one).
export * from "@cloud2fa/ui/api-client";
