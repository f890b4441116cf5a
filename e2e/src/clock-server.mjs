// The product's built server (apps/api/dist/server.js) on a clock the journeys move: the parent test
// process sends `{ advanceInMs }` over IPC and gets the new offset back. Only the browser journeys
// start the server this way; `main.js` runs the same server on the system clock.
import { runServer } from "../../apps/api/dist/server.js";

let offsetInMs = 0;
process.on("message", (message) => {
  offsetInMs += message.advanceInMs;
  process.send?.({ offsetInMs });
});

await runServer({ now: () => new Date(Date.now() + offsetInMs) });
