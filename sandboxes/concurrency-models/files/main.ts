// Starts the app. One process, so one event loop on one core, however many the machine has.
// You edit this file in step 3.
import { startServer } from './server.ts';

const PORT = Number(process.env.APP_PORT ?? 8000);

startServer(PORT);
