/** Every route of the API, in the order they are matched. */
import { recordRoutes } from "./routes-records.js";
import type { Route } from "./router.js";
import { events } from "./sse.js";

export const routes: Route[] = [
  ...recordRoutes,
  { method: "GET", path: "/api/events", handle: events },
];
