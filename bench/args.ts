// Command-line numbers for the benchmarks: a bad one stops the run with a clear message.

/** The option's value as a positive whole number, or exit 2 naming the option. */
export function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`invalid --${name}: ${value} (a positive whole number)`);
    process.exit(2);
  }
  return n;
}
