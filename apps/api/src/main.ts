import { systemClock } from "./runtime.js";
import { runServer } from "./server.js";

void runServer(systemClock);
