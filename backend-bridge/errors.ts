/** A relay configuration the relay refuses to start with; the message says what to fix (never a secret). */
export class RelayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelayConfigError';
  }
}
