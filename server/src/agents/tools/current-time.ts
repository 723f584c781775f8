import { z } from 'zod';
import { defineTool } from '../define-tool.js';

export const currentTimeTool = defineTool({
  name: 'current_time',
  description: 'The current date and time, in UTC and optionally in an IANA time zone such as "Europe/Paris".',
  input: z.object({ timeZone: z.string().max(64).optional() }),
  async execute({ timeZone }) {
    const now = new Date();
    const result: Record<string, string> = { utc: now.toISOString() };
    if (timeZone) {
      const format = new Intl.DateTimeFormat('en-CA', { timeZone, dateStyle: 'short', timeStyle: 'long', hourCycle: 'h23' });
      result.local = format.format(now);
      result.timeZone = timeZone;
    }
    return result;
  },
});
