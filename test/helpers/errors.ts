import { TelemcpError } from '../../src/core/errors.js';

/** The TelemcpError a call throws; fails the test when it returns or throws anything else. */
export function thrownError(fn: () => unknown): TelemcpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TelemcpError) return err;
    throw err;
  }
  throw new Error('expected a TelemcpError');
}

/** The TelemcpError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejectedError(promise: Promise<unknown>): Promise<TelemcpError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TelemcpError) return err;
    throw err;
  }
  throw new Error('expected a TelemcpError');
}
