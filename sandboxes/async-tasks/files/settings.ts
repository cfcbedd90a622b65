// Settings of the pretend mail server in mailer.ts. A step changes them to set up its exercise.

// How many tries to each new recipient the server refuses before it accepts one.
export const GREYLIST_TRIES = 0;
