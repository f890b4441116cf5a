// The cloud2fa API's built server (apps/api/dist/server.js) on a clock the test moves over IPC
// (`{ advanceInMs }`), as the browser journeys run it (e2e/src/clock-server.mjs).
import { runServer } from "../../../apps/api/dist/server.js";

let offsetInMs = 0;
process.on("message", (message) => {
  offsetInMs += message.advanceInMs;
  process.send?.({ offsetInMs });
});

await runServer({ now: () => new Date(Date.now() + offsetInMs) });
