/** Every route of the API, in the order they are matched. */
import { healthRoutes } from "./routes-health.js";
import { historyRoutes } from "./routes-history.js";
import { recordRoutes } from "./routes-records.js";
import { writeRoutes } from "./routes-write.js";
import type { Route } from "./router.js";
import { events } from "./sse.js";

export const routes: Route[] = [
  ...recordRoutes,
  ...historyRoutes,
  ...healthRoutes,
  ...writeRoutes,
  { method: "GET", path: "/api/events", handle: events },
];
