import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`chat on ${dialect}`, () => {
    it('streams an echo and stores both messages', async () => {
      await using t = await startTestServer({ dialect });
      const result = await t.client.chat.send.mutate({ newSession: true, content: 'hello world' });
      expect(result.message.content).toBe('Echo: hello world');
      const history = await t.client.sessions.history.query({ sessionId: result.sessionId! });
      expect(history.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    });
  });
}
