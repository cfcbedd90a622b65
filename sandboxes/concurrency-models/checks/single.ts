// The app as one process, for step 3's check to measure beside the cluster: the same
// server.ts and views.ts, started once on the port in APP_PORT, with no cluster around it.
import { startServer } from '../server.ts';

startServer(Number(process.env.APP_PORT));
