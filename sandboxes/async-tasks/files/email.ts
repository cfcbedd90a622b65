// The welcome email. Change the subject or the text: the mail server prints every email it
// accepts, so once the worker runs your version (press Run), the next sign-up shows it.
export interface Email {
  to: string;
  subject: string;
  text: string;
}

export function welcomeEmail(signup: { name: string; email: string }): Email {
  return {
    to: signup.email,
    subject: `Welcome to Hotpot, ${signup.name}!`,
    text: [
      `Hi ${signup.name},`,
      '',
      'Thanks for signing up. The broth is on and your seat is saved.',
      'Bring whatever you like; we will phone if we need anything.',
      '',
      'See you at the table,',
      'The Hotpot team',
    ].join('\n'),
  };
}
