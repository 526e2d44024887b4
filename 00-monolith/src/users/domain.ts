import { z } from 'zod';

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,32}$/, '3 to 32 letters, digits or underscores');

export const registrationSchema = z.object({
  username: usernameSchema,
  password: z.string().min(8).max(128),
});

// Logging in only checks shapes: a wrong length is simply a wrong password.
export const credentialsSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(128),
});

export type Registration = z.infer<typeof registrationSchema>;
export type Credentials = z.infer<typeof credentialsSchema>;
