import type { ThreadlineErrorData } from '@threadline/shared';

/** The error data (and message) of a call that must fail with a tRPC error. */
export async function errorOf(call: Promise<unknown>): Promise<ThreadlineErrorData & { message: string }> {
  try {
    await call;
  } catch (error) {
    const { data, message } = error as { data?: ThreadlineErrorData; message: string };
    if (!data) throw error;
    return { ...data, message };
  }
  throw new Error('expected the call to fail');
}
