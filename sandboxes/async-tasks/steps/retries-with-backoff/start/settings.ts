// Settings of the pretend mail server in mailer.ts. A step changes them to set up its exercise.

// How many tries to each new recipient the server refuses before it accepts one.
// Step 2 turns this on: the first 2 tries to every new address are refused.
export const GREYLIST_TRIES = 2;
