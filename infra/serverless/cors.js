// The HTTP API's CORS settings from the `corsAllowedOrigins` param (comma-separated origins). No origins: CORS off,
// so browsers may call the API only from its own origin. serverless.yml: `cors: ${file(infra/serverless/cors.js)}`.
// (CommonJS, as the framework `require`s it.)
module.exports = async ({ resolveVariable }) => {
  const raw = String((await resolveVariable("param:corsAllowedOrigins")) ?? "");
  const allowedOrigins = raw
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (allowedOrigins.length === 0) return false;
  return {
    allowedOrigins,
    allowedHeaders: ["authorization", "content-type", "idempotency-key", "if-none-match"],
    allowedMethods: ["GET", "POST", "DELETE"],
    exposedResponseHeaders: ["etag", "location", "retry-after", "idempotent-replayed"],
    allowCredentials: false,
    maxAge: 600,
  };
};
