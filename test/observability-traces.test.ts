import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { openAIErrors, startOpenAIFake } from './fakes/openai.js';
import { startTestServer } from './helpers/server.js';

const SECRET_WORDS = 'walrus-tangerine-4410';

/** The span's parent's id, or undefined for a root. */
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe('traces', () => {
  it('are off without OTEL_EXPORTER_OTLP_ENDPOINT: no tracer', async () => {
    await using t = await startTestServer();
    expect(t.server.services.tracer).toBeUndefined();
  });

  it('a procedure call, its run, the agent, each model call and each tool execution, parented across the run’s asynchronous work, with GenAI attributes', async () => {
    const exporter = new InMemorySpanExporter();
    await using t = await startTestServer({ spanExporter: exporter });
    const answer = await t.client.chat.send.mutate({ agent: 'assistant', newSession: true, content: `/tool calculator {"expression":"6*7"} ${SECRET_WORDS}` });
    expect(answer.status).toBe('completed');
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name === 'run assistant')).toBe(true);

    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((span) => span.name === name);
    const procedure = named('chat.send')[0]!;
    const run = named('run assistant')[0]!;
    const agent = named('invoke_agent assistant')[0]!;
    const chats = named('chat echo');
    const tool = named('execute_tool calculator')[0]!;

    // One trace: the request → the run (which outlives the call that started it) → the agent → its calls.
    expect(procedure.attributes).toMatchObject({ 'rpc.system': 'trpc', 'rpc.method': 'chat.send' });
    expect(parentOf(procedure)).toBeUndefined();
    expect(parentOf(run)).toBe(idOf(procedure));
    expect(parentOf(agent)).toBe(idOf(run));
    expect(chats).toHaveLength(2);
    for (const chat of chats) expect(parentOf(chat)).toBe(idOf(agent));
    expect(parentOf(tool)).toBe(idOf(agent));
    expect(new Set([procedure, run, agent, tool, ...chats].map((span) => span.spanContext().traceId)).size).toBe(1);

    expect(run.attributes).toMatchObject({ 'threadline.run.id': answer.runId, 'gen_ai.conversation.id': answer.sessionId, 'threadline.run.status': 'completed' });
    expect(agent.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'assistant' });
    expect(chats[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'local',
      'gen_ai.request.model': 'echo',
      'gen_ai.conversation.id': answer.sessionId,
      'gen_ai.response.finish_reasons': ['tool-calls'],
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
    });
    expect(chats[1]!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calculator' });
    expect(run.events.map((event) => event.name)).toEqual(expect.arrayContaining(['started', 'first_token']));
    // No message text in any span.
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events]))).not.toContain(SECRET_WORDS);
  });

  it('a failing model call: error.type and an error status on the chat and the run; a stream’s run is under chat.stream', async () => {
    const exporter = new InMemorySpanExporter();
    await using t = await startTestServer({ spanExporter: exporter });
    const failed = await t.client.chat.send.mutate({ content: '/fail server' });
    expect(failed.status).toBe('failed');
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name === 'run chat')).toBe(true);
    const chat = exporter.getFinishedSpans().find((span) => span.name === 'chat echo')!;
    expect(chat.attributes['error.type']).toBe('provider_unavailable');
    expect(chat.status.code).toBe(2);
    const run = exporter.getFinishedSpans().find((span) => span.name === 'run chat')!;
    expect(run.attributes).toMatchObject({ 'error.type': 'provider_unavailable', 'threadline.run.status': 'failed' });

    exporter.reset();
    await new Promise<void>((resolve, reject) =>
      t.client.chat.stream.subscribe({ requestId: crypto.randomUUID(), content: 'hi' }, { onData: (event) => event.data.type === 'run-finish' && resolve(), onError: reject }),
    );
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name === 'run chat')).toBe(true);
    const spans = exporter.getFinishedSpans();
    const stream = spans.find((span) => span.name === 'chat.stream')!;
    expect(parentOf(spans.find((span) => span.name === 'run chat')!)).toBe(idOf(stream));
  });

  it('a handoff ends one invoke_agent span and starts the next, both under the run', async () => {
    const exporter = new InMemorySpanExporter();
    await using t = await startTestServer({ spanExporter: exporter });
    t.server.services.agents.register({ name: 'concierge', description: 'Hands over.', instructions: 'Hand over.', tools: [], maxSteps: 4, handoffs: ['assistant'] });
    const answer = await t.client.chat.send.mutate({ agent: 'concierge', content: '/tool handoff_to_assistant {}' });
    expect(answer.message.agent).toBe('assistant');
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name === 'run concierge')).toBe(true);
    const spans = exporter.getFinishedSpans();
    const run = spans.find((span) => span.name === 'run concierge')!;
    const first = spans.find((span) => span.name === 'invoke_agent concierge')!;
    const second = spans.find((span) => span.name === 'invoke_agent assistant')!;
    expect([parentOf(first), parentOf(second)]).toEqual([idOf(run), idOf(run)]);
    // The handoff tool ran under the concierge, the answer's model call under the assistant.
    expect(parentOf(spans.find((span) => span.name === 'execute_tool handoff_to_assistant')!)).toBe(idOf(first));
    expect(spans.filter((span) => span.name === 'chat echo').map(parentOf)).toEqual([idOf(first), idOf(second)]);
  });

  it('a call to a real provider API: the response model it reports, its retry as an event', async () => {
    await using fake = await startOpenAIFake();
    const exporter = new InMemorySpanExporter();
    await using t = await startTestServer({
      spanExporter: exporter,
      environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1`, THREADLINE_PROVIDER_BACKOFF_MS: '5' },
    });
    fake.script({ error: openAIErrors.rateLimited({ 'retry-after-ms': '5' }) }, { text: ['Hi'], usage: { inputTokens: 9, outputTokens: 1 } });
    const answer = await t.client.chat.send.mutate({ content: 'hello', model: 'openai/gpt-test' });
    expect(answer.status).toBe('completed');
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name === 'chat gpt-test')).toBe(true);
    const chat = exporter.getFinishedSpans().find((span) => span.name === 'chat gpt-test')!;
    expect(chat.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-test', 'gen_ai.response.model': 'gpt-test', 'gen_ai.usage.input_tokens': 9 });
    expect(chat.events.find((event) => event.name === 'retry')!.attributes).toMatchObject({ 'threadline.attempt': 1, 'error.type': 'rate_limited' });
    expect(chat.status.code).not.toBe(2);

    // A side call of the run (follow-up suggestions) is one more model call under it.
    t.server.services.agents.register({ name: 'curious', description: 'test', instructions: 'Answer.', tools: [], maxSteps: 2, suggestions: true });
    exporter.reset();
    fake.script({ text: ['Fine.'] }, { text: ['Why?\nHow?'] });
    const curious = await t.client.chat.send.mutate({ agent: 'curious', content: 'hello', model: 'openai/gpt-test' });
    expect(curious.message.suggestions).toEqual(['Why?', 'How?']);
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name === 'run curious')).toBe(true);
    const agent = exporter.getFinishedSpans().find((span) => span.name === 'invoke_agent curious')!;
    expect(exporter.getFinishedSpans().filter((span) => span.name === 'chat gpt-test').map(parentOf)).toEqual([idOf(agent), idOf(agent)]);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT: the spans reach a real OTLP/HTTP receiver at /v1/traces', async () => {
    const received: { path: string; body: any }[] = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let body = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        expect(request.headers['content-type']).toContain('application/json');
        received.push({ path: request.url ?? '', body: JSON.parse(body.toString('utf8')) });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const t = await startTestServer({ environment: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'threadline-test' } });
      const answer = await t.client.chat.send.mutate({ content: 'hello' });
      expect(answer.status).toBe('completed');
      // Closing flushes the batch.
      await t.close();

      expect(received.length).toBeGreaterThan(0);
      expect(received.every((request) => request.path === '/v1/traces')).toBe(true);
      const resourceSpans = received.flatMap((request) => request.body.resourceSpans as any[]);
      const serviceName = resourceSpans[0].resource.attributes.find((attribute: any) => attribute.key === 'service.name').value.stringValue;
      expect(serviceName).toBe('threadline-test');
      const spans = resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope: any) => scope.spans as any[]));
      const names = spans.map((span) => span.name);
      expect(names).toEqual(expect.arrayContaining(['chat.send', 'run chat', 'invoke_agent chat', 'chat echo']));
      const chat = spans.find((span) => span.name === 'chat echo');
      const attribute = (key: string) => chat.attributes.find((candidate: any) => candidate.key === key)?.value;
      expect(attribute('gen_ai.provider.name')).toEqual({ stringValue: 'local' });
      expect(attribute('gen_ai.operation.name')).toEqual({ stringValue: 'chat' });
      const agent = spans.find((span) => span.name === 'invoke_agent chat');
      expect(chat.parentSpanId).toBe(agent.spanId);
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
