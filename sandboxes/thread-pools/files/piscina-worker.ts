// The same tasks for piscina, which calls a worker file's default export with each task.
export { runTask as default } from './tasks.ts';
